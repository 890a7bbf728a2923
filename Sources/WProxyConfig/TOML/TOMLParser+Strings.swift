/// Basic (`"…"`, `"""…"""`) and literal (`'…'`, `'''…'''`) strings.
///
/// Guarantees: control characters other than tab are rejected unless escaped; a newline right after
/// an opening `"""` or `'''` is dropped; CRLF inside a multi-line string becomes LF; up to two quotes
/// may directly precede the closing delimiter; unterminated strings are reported at their opening
/// quote.
extension TOMLParser {
    mutating func parseBasicString(multiline: Bool) throws(TOMLSyntaxError) -> String {
        try parseString(quote: UInt8(ascii: "\""), multiline: multiline)
    }

    mutating func parseLiteralString(multiline: Bool) throws(TOMLSyntaxError) -> String {
        try parseString(quote: UInt8(ascii: "'"), multiline: multiline)
    }

    private mutating func parseString(quote: UInt8, multiline: Bool) throws(TOMLSyntaxError) -> String {
        let open = index
        let isBasic = quote == UInt8(ascii: "\"")
        let delimiter = multiline ? String(repeating: Character(Unicode.Scalar(quote)), count: 3) : String(Unicode.Scalar(quote))
        index += multiline ? 3 : 1
        if multiline && isAtNewline { try consumeNewline() }
        var content: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated \(multiline ? "multi-line " : "")string (missing closing \(delimiter))", at: open)
            }
            switch byte {
            case quote:
                guard multiline else {
                    index += 1
                    return String(decoding: content, as: UTF8.self)
                }
                var quotes = 1
                while quotes < 5, peek(quotes) == quote { quotes += 1 }
                content.append(contentsOf: repeatElement(quote, count: quotes >= 3 ? quotes - 3 : quotes))
                index += quotes
                if quotes >= 3 { return String(decoding: content, as: UTF8.self) }
            case UInt8(ascii: "\\") where isBasic:
                try parseEscape(into: &content, multiline: multiline)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                guard multiline else {
                    throw error(
                        "unterminated string (a newline came before the closing \(delimiter); "
                            + "use \(delimiter)\(delimiter)\(delimiter) for multi-line strings)",
                        at: open)
                }
                if byte == UInt8(ascii: "\r") && peek(1) != UInt8(ascii: "\n") {
                    throw error("a carriage return in a string must be followed by a line feed (write \\r)", at: index)
                }
                try consumeNewline()
                content.append(UInt8(ascii: "\n"))
            case _ where Self.isControl(byte):
                throw error("\(describeCharacter(at: index)) must be escaped in a string", at: index)
            default:
                content.append(byte)
                index += 1
            }
        }
    }

    /// Handles the escape at `index` (a backslash) in a basic string.
    private mutating func parseEscape(into content: inout [UInt8], multiline: Bool) throws(TOMLSyntaxError) {
        let backslash = index
        index += 1
        guard let letter = peek() else {
            throw error("unterminated string (missing closing quote after '\\')", at: backslash)
        }
        let simple: UInt8? =
            switch letter {
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            default: nil
            }
        if let simple {
            content.append(simple)
            index += 1
            return
        }
        switch letter {
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let scalar = try parseUnicodeEscape(digits: letter == UInt8(ascii: "u") ? 4 : 8, backslash: backslash)
            UTF8.encode(scalar) { content.append($0) }
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            guard multiline else {
                throw error("invalid escape sequence: '\\' followed by whitespace (line-ending backslashes need \"\"\")", at: backslash)
            }
            // A line-ending backslash: only whitespace may follow it on its line, and it swallows
            // all whitespace and newlines up to the next other character.
            skipWhitespace()
            guard isAtNewline else {
                throw error("invalid escape: '\\' followed by a space must end the line", at: backslash)
            }
            while let byte = peek() {
                if Self.isWhitespace(byte) {
                    index += 1
                } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                    try consumeNewline()
                } else {
                    break
                }
            }
        default:
            let shown = describeCharacter(at: index)
            let text = shown.hasPrefix("'") ? "'\\\(shown.dropFirst())" : "'\\' followed by \(shown)"
            throw error("invalid escape sequence \(text) (valid: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: backslash)
        }
    }

    private mutating func parseUnicodeEscape(digits: Int, backslash: Int) throws(TOMLSyntaxError) -> Unicode.Scalar {
        index += 1
        var value: UInt32 = 0
        for offset in 0..<digits {
            guard let byte = peek(offset), let digit = Self.hexDigitValue(byte) else {
                throw error("invalid escape sequence: \\\(digits == 4 ? "u" : "U") needs \(digits) hexadecimal digits", at: backslash)
            }
            value = value << 4 | UInt32(digit)
        }
        let text = String(decoding: bytes[(backslash)..<(index + digits)], as: UTF8.self)
        index += digits
        guard let scalar = Unicode.Scalar(value) else {
            throw error(
                "invalid escape sequence \(text): not a Unicode scalar value "
                    + "(surrogates and values above 10FFFF are not allowed)",
                at: backslash)
        }
        return scalar
    }

    static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
