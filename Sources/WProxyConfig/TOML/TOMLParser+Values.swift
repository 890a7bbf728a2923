/// Values: dispatch on the first character, arrays and inline tables.
extension TOMLParser {
    /// Parses the value at `index`. `depth` is how many tables and arrays enclose it, counting the
    /// table it is assigned into; opening an array or inline table deeper than
    /// ``TOMLDocument/maxNestingDepth`` is an error.
    mutating func parseValue(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        let valueLine = line
        guard let byte = peek() else {
            throw error("expected a value, found the end of the file", at: index)
        }
        switch byte {
        case UInt8(ascii: "\""):
            let multiline = peek(1) == byte && peek(2) == byte
            return TOMLValue(.string(try parseBasicString(multiline: multiline)), line: valueLine)
        case UInt8(ascii: "'"):
            let multiline = peek(1) == byte && peek(2) == byte
            return TOMLValue(.string(try parseLiteralString(multiline: multiline)), line: valueLine)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth)
        default:
            return try parseScalarToken()
        }
    }

    private func checkDepth(_ depth: Int, at offset: Int) throws(TOMLSyntaxError) {
        guard depth <= TOMLDocument.maxNestingDepth else {
            throw error("arrays and tables are nested too deeply (the limit is \(TOMLDocument.maxNestingDepth) levels)", at: offset)
        }
    }

    /// `[ value, value, ]`: newlines and comments may appear between elements and a trailing comma
    /// is allowed. Elements may have different types.
    private mutating func parseArray(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        let startLine = line
        try checkDepth(depth, at: start)
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceNewlinesAndComments()
            guard let byte = peek() else {
                throw error("unterminated array (missing ']')", at: start)
            }
            if byte == UInt8(ascii: "]") { break }
            if byte == UInt8(ascii: ",") {
                throw error("expected a value in the array, found ','", at: index)
            }
            elements.append(try parseValue(depth: depth + 1))
            try skipWhitespaceNewlinesAndComments()
            guard let separator = peek() else {
                throw error("unterminated array (missing ']')", at: start)
            }
            if separator == UInt8(ascii: "]") { break }
            guard separator == UInt8(ascii: ",") else {
                throw error("expected ',' or ']' after an array element, found \(describeCharacter(at: index))", at: index)
            }
            index += 1
        }
        index += 1
        return TOMLValue(.array(elements), line: startLine)
    }

    /// `{ key = value, … }` on one line, without a trailing comma. The result is final: neither
    /// headers nor dotted keys may add to it later, which holds because it is stored as a value.
    private mutating func parseInlineTable(depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        let startLine = line
        try checkDepth(depth, at: start)
        index += 1
        // The origin of the inline table itself never matters: nothing can name it by a path.
        let table = TOMLTableBuilder(origin: .header, name: "", line: startLine, depth: depth)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return TOMLValue(.table(table.freeze()), line: startLine)
        }
        while true {
            skipWhitespace()
            try rejectLineBreakInInlineTable(start: start)
            try parseKeyValue(into: table)
            skipWhitespace()
            guard let byte = peek() else {
                throw error("unterminated inline table (missing '}')", at: start)
            }
            switch byte {
            case UInt8(ascii: "}"):
                index += 1
                return TOMLValue(.table(table.freeze()), line: startLine)
            case UInt8(ascii: ","):
                let comma = index
                index += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    throw error("a trailing comma is not allowed in an inline table", at: comma)
                }
            default:
                try rejectLineBreakInInlineTable(start: start)
                throw error("expected ',' or '}' in the inline table, found \(describeCharacter(at: index))", at: index)
            }
        }
    }

    private func rejectLineBreakInInlineTable(start: Int) throws(TOMLSyntaxError) {
        switch peek() {
        case nil:
            throw error("unterminated inline table (missing '}')", at: start)
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            throw error("an inline table must be on one line (found a newline before '}')", at: index)
        case UInt8(ascii: "#"):
            throw error("an inline table must be on one line (found a comment before '}')", at: index)
        default:
            return
        }
    }
}
