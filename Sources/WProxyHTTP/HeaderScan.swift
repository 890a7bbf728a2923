import NIOHTTP1

/// ASCII case-insensitive comparison of a header name with a lower-case literal, without allocating.
@inline(__always)
func headerNameEquals(_ name: String, _ lowercased: StaticString) -> Bool {
    let count = lowercased.utf8CodeUnitCount
    var name = name
    return name.withUTF8 { bytes in
        guard bytes.count == count else { return false }
        let literal = lowercased.utf8Start
        for index in 0..<count {
            var byte = bytes[index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != literal[index] { return false }
        }
        return true
    }
}

/// ASCII case-insensitive equality of a whole value (or list element) with a lower-case literal.
@inline(__always)
func tokenEquals(_ token: Substring, _ lowercased: StaticString) -> Bool {
    let count = lowercased.utf8CodeUnitCount
    let utf8 = token.utf8
    guard utf8.count == count else { return false }
    let literal = lowercased.utf8Start
    var index = 0
    for var byte in utf8 {
        if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
        if byte != literal[index] { return false }
        index += 1
    }
    return true
}

/// Splits a header value into its comma-separated list elements, trimmed of spaces and tabs.
func listElements(_ value: String) -> [Substring] {
    value.split(separator: ",", omittingEmptySubsequences: false).map { element in
        var element = element
        while let first = element.first, first == " " || first == "\t" { element = element.dropFirst() }
        while let last = element.last, last == " " || last == "\t" { element = element.dropLast() }
        return element
    }
}

/// Names that are hop-by-hop on every message (RFC 9110 §7.6.1) plus the proxy-only ones.
@inline(__always)
func isFixedHopByHop(_ name: String) -> Bool {
    switch name.utf8.count {
    case 2: return headerNameEquals(name, "te")
    case 7: return headerNameEquals(name, "trailer") || headerNameEquals(name, "upgrade")
    case 10: return headerNameEquals(name, "connection") || headerNameEquals(name, "keep-alive")
    case 16: return headerNameEquals(name, "proxy-connection")
    case 17: return headerNameEquals(name, "transfer-encoding")
    case 18: return headerNameEquals(name, "proxy-authenticate")
    case 19: return headerNameEquals(name, "proxy-authorization")
    default: return false
    }
}

extension HTTPHeaders {
    /// The lower-cased tokens of every `Connection` header (usually none or one).
    func connectionTokens() -> [Substring] {
        var tokens: [Substring] = []
        for (name, value) in self where name.utf8.count == 10 && headerNameEquals(name, "connection") {
            for element in listElements(value) where !element.isEmpty { tokens.append(element) }
        }
        return tokens
    }

    /// A copy without hop-by-hop headers (the fixed list and those named in `Connection`), in one pass.
    /// With `keepUpgrade`, `Upgrade` stays and `Connection: upgrade` is written back.
    package func withoutHopByHop(keepUpgrade: Bool = false) -> HTTPHeaders {
        let named = connectionTokens()
        var out = HTTPHeaders()
        out.reserveCapacity(count + 2)
        var keptUpgrade = false
        for (name, value) in self {
            if isFixedHopByHop(name) {
                if keepUpgrade && headerNameEquals(name, "upgrade") {
                    keptUpgrade = true
                    out.add(name: name, value: value)
                }
                continue
            }
            if !named.isEmpty && named.contains(where: { $0.utf8.count == name.utf8.count && $0.lowercased() == name.lowercased() }) {
                continue
            }
            out.add(name: name, value: value)
        }
        if keptUpgrade { out.add(name: "connection", value: "upgrade") }
        return out
    }
}
