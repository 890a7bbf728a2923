/// Turns a request-target into a path relative to the static root, or refuses it.
///
/// Pure (no file system): the I/O side then resolves symlinks and checks the result is still
/// inside the root. Refused: targets not starting with `/`; malformed percent-escapes; encoded
/// `/`, `\` or NUL (`%2F`, `%5C`, `%00`) anywhere; a `..` segment (before or after decoding); a
/// literal backslash. `.` and empty segments are dropped. Query and fragment are ignored.
package enum StaticPathResolver {
    package enum Resolution: Equatable, Sendable {
        /// Path segments below the root (empty: the root itself).
        case path([String], trailingSlash: Bool)
        case refused
    }

    package static func resolve(_ target: String) -> Resolution {
        var path = Substring(target)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        guard path.hasPrefix("/") else { return .refused }
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = percentDecode(raw) else { return .refused }
            if decoded == "." || decoded.isEmpty { continue }
            if decoded == ".." { return .refused }
            if decoded.contains(where: { $0 == "/" || $0 == "\\" || $0 == "\0" }) { return .refused }
            segments.append(decoded)
        }
        return .path(segments, trailingSlash: path.hasSuffix("/"))
    }

    /// Decodes `%XX` escapes into UTF-8; nil on a malformed escape or invalid UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
