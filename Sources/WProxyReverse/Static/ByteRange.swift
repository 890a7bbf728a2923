/// A single `Range: bytes=...` request resolved against a file size (RFC 9110 §14).
package enum ByteRange: Equatable, Sendable {
    /// Serve the whole file (no Range, or one we do not honour, such as several ranges).
    case whole
    /// Serve `start...end` (inclusive) with 206.
    case partial(start: Int64, end: Int64)
    /// 416 Range Not Satisfiable.
    case unsatisfiable

    package static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst("bytes=".count).trimmingSpaces
        guard !spec.contains(",") else { return .whole }
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingSpaces
        let last = spec[spec.index(after: dash)...].trimmingSpaces
        if first.isEmpty {
            guard let suffix = Int64(last), suffix >= 0, last.allSatisfy(\.isASCIIDigit) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(start: max(size - suffix, 0), end: size - 1)
        }
        guard let start = Int64(first), first.allSatisfy(\.isASCIIDigit) else { return .whole }
        var end = size - 1
        if !last.isEmpty {
            guard let value = Int64(last), last.allSatisfy(\.isASCIIDigit), value >= start else { return .whole }
            end = min(value, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .partial(start: start, end: end)
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return view
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
