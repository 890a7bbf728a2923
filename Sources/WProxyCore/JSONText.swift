/// Minimal JSON string escaping for log lines (RFC 8259), so logs need no Foundation.
package enum JSONText {
    package static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// `key=value` for logfmt: values with spaces, quotes or `=` are quoted.
    package static func logfmtValue(_ text: String) -> String {
        if text.isEmpty { return "\"\"" }
        if text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            return quoted(text)
        }
        return text
    }
}
