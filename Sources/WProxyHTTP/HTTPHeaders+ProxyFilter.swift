import NIOHTTP1

extension HTTPHeaders {
    /// `removeHopByHop(keepUpgrade:)`, skipped when no header could be hop-by-hop: one pass comparing
    /// names by length first, which is most of the cost for the small header sets typical of proxied traffic.
    package mutating func removeHopByHopIfPresent(keepUpgrade: Bool = false) {
        var found: [String] = []
        var connectionNamesOthers = false
        for (name, value) in self where Self.mayBeHopByHop(name) {
            let lowered = name.lowercased()
            if !found.contains(lowered) { found.append(lowered) }
            if lowered == "connection" {
                // Only the usual tokens? Then no other header is named and the found ones are all there is.
                for token in value.split(separator: ",") {
                    let trimmed = token.trimmingASCIISpaces().lowercased()
                    if trimmed != "keep-alive" && trimmed != "close" { connectionNamesOthers = true }
                }
            }
        }
        if found.isEmpty { return }
        if keepUpgrade || connectionNamesOthers {
            removeHopByHop(keepUpgrade: keepUpgrade)
            return
        }
        for name in found { remove(name: name) }
    }

    /// True for the names in `hopByHopNames` (ASCII case-insensitive). Without a `Connection` header no other
    /// header can be named hop-by-hop, so this is enough to decide whether filtering is needed.
    static func mayBeHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2, 7, 10, 16, 17, 18, 19:
            let lowered = name.lowercased()
            return Self.hopByHopNames.contains(lowered)
        default:
            return false
        }
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var text = self
        while let first = text.utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { text = text.dropFirst() }
        while let last = text.utf8.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { text = text.dropLast() }
        return text
    }
}
