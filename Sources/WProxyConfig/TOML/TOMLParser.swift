/// A single-pass TOML v1.0.0 parser over the UTF-8 bytes of a document.
///
/// It reads the document top to bottom, records the line of every key and value as it goes, and
/// throws the first error it meets as a ``TOMLSyntaxError`` pointing at the offending token. The
/// input is a Swift `String`, so it is always valid UTF-8; the parser never splits a multi-byte
/// character because every delimiter it looks for is ASCII. Recursion is bounded by
/// ``TOMLDocument/maxNestingDepth``.
///
/// Value syntax lives in `TOMLParser+Values.swift`, `+Strings`, `+Numbers` and `+DateTime`; the
/// rules about which keys and tables may be defined where live in `TOMLParser+Tables.swift`.
struct TOMLParser {
    /// One part of a dotted key, with the byte offset where it starts (for error positions).
    struct KeySegment {
        let name: String
        let offset: Int
    }

    let bytes: [UInt8]
    let fileName: String
    /// The byte being looked at.
    var index = 0
    /// The 1-based line of `index`, kept up to date by every function that consumes a newline.
    var line = 1
    /// Where the text starts after a byte order mark; columns on line 1 count from here.
    private let contentStart: Int
    let root: TOMLTableBuilder
    /// The table that key/value pairs go into: the root, or the one named by the last header.
    var current: TOMLTableBuilder

    init(text: String, fileName: String) {
        self.bytes = Array(text.utf8)
        self.fileName = fileName
        self.contentStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        self.index = contentStart
        self.root = TOMLTableBuilder(origin: .header, name: "", line: 1, depth: 0)
        self.current = root
    }

    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"):
                try skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
            case UInt8(ascii: "["):
                try parseHeader()
                try finishLine(after: "table header")
            default:
                try parseKeyValue(into: current)
                try finishLine(after: "value")
            }
        }
        return root.freeze()
    }

    // MARK: Lines, whitespace and comments

    func peek(_ offset: Int = 0) -> UInt8? {
        let position = index + offset
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            index += 1
        }
    }

    /// Consumes LF or CRLF at `index`; a CR without LF is an error.
    mutating func consumeNewline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else {
                throw error("a carriage return must be followed by a line feed", at: index)
            }
            index += 1
        }
        index += 1
        line += 1
    }

    var isAtNewline: Bool {
        peek() == UInt8(ascii: "\n") || (peek() == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n"))
    }

    /// Skips from `#` to the end of the line, leaving the newline unconsumed.
    mutating func skipComment() throws(TOMLSyntaxError) {
        index += 1
        while let byte = peek(), !isAtNewline {
            if Self.isControl(byte) {
                throw error("\(describeCharacter(at: index)) is not allowed in a comment", at: index)
            }
            index += 1
        }
    }

    /// Whitespace, newlines and comments, as allowed between array elements.
    mutating func skipWhitespaceNewlinesAndComments() throws(TOMLSyntaxError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): index += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): try consumeNewline()
            case UInt8(ascii: "#"): try skipComment()
            default: return
            }
        }
    }

    /// After a header or key/value pair only whitespace and a comment may follow on the line.
    private mutating func finishLine(after what: String) throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard peek() != nil else { return }
        guard isAtNewline || peek() == UInt8(ascii: "\r") else {
            throw error("expected the end of the line after the \(what), found \(describeCharacter(at: index))", at: index)
        }
        try consumeNewline()
    }

    // MARK: Headers, keys and key/value pairs

    private mutating func parseHeader() throws(TOMLSyntaxError) {
        let headerLine = line
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { index += 1 }
        let path = try parseKey()
        let closing = isArray ? "]]" : "]"
        guard peek() == UInt8(ascii: "]"), !isArray || peek(1) == UInt8(ascii: "]") else {
            throw unexpectedAfterKey(expected: "'\(closing)' to close the table header")
        }
        index += closing.utf8.count
        current = isArray
            ? try appendTableArrayElement(path, line: headerLine)
            : try defineTable(path, line: headerLine)
    }

    /// Parses `key = value` and adds it to `table`.
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(TOMLSyntaxError) {
        let keyLine = line
        let path = try parseKey()
        guard peek() == UInt8(ascii: "=") else {
            throw unexpectedAfterKey(expected: "'=' after the key")
        }
        index += 1
        skipWhitespace()
        let value = try parseValue(depth: table.depth + path.count)
        try insert(value, at: path, into: table, line: keyLine)
    }

    /// Parses a simple or dotted key and the whitespace after it.
    mutating func parseKey() throws(TOMLSyntaxError) -> [KeySegment] {
        var path: [KeySegment] = []
        while true {
            skipWhitespace()
            path.append(try parseSimpleKey())
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else { return path }
            index += 1
        }
    }

    private mutating func parseSimpleKey() throws(TOMLSyntaxError) -> KeySegment {
        let start = index
        guard let byte = peek() else { throw error("expected a key, found the end of the file", at: index) }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            if peek(1) == byte && peek(2) == byte {
                throw error("a multi-line string cannot be used as a key", at: start)
            }
            let name = byte == UInt8(ascii: "\"")
                ? try parseBasicString(multiline: false)
                : try parseLiteralString(multiline: false)
            return KeySegment(name: name, offset: start)
        case _ where Self.isBareKeyByte(byte):
            while let next = peek(), Self.isBareKeyByte(next) { index += 1 }
            return KeySegment(name: String(decoding: bytes[start..<index], as: UTF8.self), offset: start)
        default:
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "#")
                || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "]") {
                throw error("expected a key, found \(describeCharacter(at: index))", at: index)
            }
            throw invalidKeyCharacter()
        }
    }

    /// The error for a key followed by something other than what the grammar needs next.
    private func unexpectedAfterKey(expected: String) -> TOMLSyntaxError {
        let previous = index > 0 ? bytes[index - 1] : 0
        if let byte = peek(), Self.isBareKeyByte(previous), !Self.isWhitespace(byte), byte >= 0x21, byte != 0x7F,
            !"=[]{}\"'#,".utf8.contains(byte) {
            return invalidKeyCharacter()
        }
        return error("expected \(expected), found \(describeCharacter(at: index))", at: index)
    }

    private func invalidKeyCharacter() -> TOMLSyntaxError {
        error(
            "\(describeCharacter(at: index)) is not allowed in a bare key; "
                + "bare keys may contain only ASCII letters, digits, '_' and '-' (quote other keys)",
            at: index)
    }

    // MARK: Character classes

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// Control characters that TOML forbids in strings and comments (every one but tab).
    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }

    // MARK: Errors

    /// An error at byte `offset`, with its line and column computed from the text.
    func error(_ message: String, at offset: Int) -> TOMLSyntaxError {
        let offset = min(max(offset, 0), bytes.count)
        var errorLine = 1
        var lineStart = contentStart
        for position in contentStart..<max(offset, contentStart) where bytes[position] == UInt8(ascii: "\n") {
            errorLine += 1
            lineStart = position + 1
        }
        // Count scalars, not bytes: continuation bytes look like 0b10xxxxxx.
        let column = 1 + bytes[min(lineStart, offset)..<offset].lazy.filter { $0 & 0xC0 != 0x80 }.count
        return TOMLSyntaxError(fileName: fileName, line: errorLine, column: column, message: message)
    }

    /// Names the character at `offset` for a message: `'x'`, `U+0007`, "a newline" or "the end of the file".
    func describeCharacter(at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the file" }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "the end of the line" }
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let character = String(decoding: bytes[offset..<end], as: UTF8.self)
        guard let scalar = character.unicodeScalars.first else { return "an invalid byte" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        if scalar.properties.generalCategory == .control { return "control character \(code)" }
        if scalar.properties.isWhitespace && byte != UInt8(ascii: " ") { return "whitespace character \(code)" }
        return "'\(character)'"
    }
}
