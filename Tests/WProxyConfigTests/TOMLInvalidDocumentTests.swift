import Testing
import WProxyConfig

/// An invalid document, where its error must point, and a fragment of the expected message.
struct InvalidTOMLCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let line: Int
    let column: Int
    let message: String
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ line: Int, _ column: Int, _ message: String) {
        self.name = name
        self.text = text
        self.line = line
        self.column = column
        self.message = message
    }
}

@Suite struct TOMLInvalidDocumentTests {
    static let structure: [InvalidTOMLCase] = [
        InvalidTOMLCase("duplicate key", "a = 1\nb = 2\na = 3", 3, 1, "duplicate key 'a' (first defined on line 1)"),
        InvalidTOMLCase("duplicate dotted key", "a.b = 1\n\na.b = 2", 3, 3, "duplicate key 'a.b' (first defined on line 1)"),
        InvalidTOMLCase("duplicate quoted key", "a = 1\n\"a\" = 2", 2, 1, "duplicate key 'a'"),
        InvalidTOMLCase("duplicate key in a table", "[t]\nx = 1\nx = 2", 3, 1, "duplicate key 'x' (first defined on line 2)"),
        InvalidTOMLCase("key redefined as a table by dotted keys", "a = 1\na.b = 2", 2, 1, "already defined as an integer on line 1"),
        InvalidTOMLCase("table redefined", "[a]\nx = 1\n[b]\n[a]", 4, 2, "table [a] is defined twice (first on line 1)"),
        InvalidTOMLCase("sub-table redefined", "[a.b]\n[a.b]", 2, 4, "table [a.b] is defined twice"),
        InvalidTOMLCase("table over a key", "[a]\nb = 1\n[a.b]", 3, 4, "key 'a.b' is already defined as an integer on line 2"),
        InvalidTOMLCase(
            "header over a dotted table", "[fruit]\napple.color = \"red\"\n\n[fruit.apple]", 4, 8,
            "table [fruit.apple] was already defined by dotted keys on line 2"),
        InvalidTOMLCase("header over a root dotted table", "a.b = 1\n[a]", 2, 2, "already defined by dotted keys on line 1"),
        InvalidTOMLCase(
            "dotted keys into a table with a header", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, 3,
            "cannot add to table [a.b.c] with dotted keys: it has its own header on line 1"),
        InvalidTOMLCase("[[x]] after x = []", "x = []\n[[x]]", 2, 3, "cannot append to 'x' with [[x]]: it is a static array defined on line 1"),
        InvalidTOMLCase("[[x]] after [x]", "[x]\n[[x]]", 2, 3, "'x' is already a table (line 1)"),
        InvalidTOMLCase("[x] after [[x]]", "[[x]]\n[x]", 2, 2, "'x' is an array of tables (line 1); use [[x]]"),
        InvalidTOMLCase("[[a]] after an implicit [a]", "[a.b]\n[[a]]", 2, 3, "already a table"),
        InvalidTOMLCase("dotted keys into an array of tables", "[[a.b]]\n[a]\nb.y = 2", 3, 1, "array of tables 'b'"),
        InvalidTOMLCase("header into an inline table", "a = { b = 1 }\n[a.c]", 2, 2, "'a': it is an inline table (line 1)"),
        InvalidTOMLCase("header redefines an inline table", "a = {}\n[a]", 2, 2, "already defined as an inline table on line 1"),
        InvalidTOMLCase("dotted keys into an inline table", "a = { b = 1 }\na.c = 2", 2, 1, "inline tables cannot be extended"),
        InvalidTOMLCase("inline table extended inside itself", "a = { b = {}, b.c = 1 }", 1, 15, "inline tables cannot be extended"),
        InvalidTOMLCase("duplicate key in an inline table", "a = { b = 1, b = 2 }", 1, 14, "duplicate key 'b'"),
        InvalidTOMLCase("header through a value", "a = 1\n[a.b]", 2, 2, "cannot use 'a' as a table: it is already defined as an integer on line 1"),
        InvalidTOMLCase("header through a static array", "a = [{}]\n[a.b]", 2, 2, "already defined as an array on line 1"),
    ]

    static let syntax: [InvalidTOMLCase] = [
        InvalidTOMLCase("unterminated string", "a = 1\nb = \"abc\nc = 2", 2, 5, "unterminated string"),
        InvalidTOMLCase("unterminated string at end of file", "b = \"abc", 1, 5, "unterminated string"),
        InvalidTOMLCase("unterminated literal string", "b = 'abc\n", 1, 5, "unterminated string"),
        InvalidTOMLCase("unterminated multi-line string", "a = \"\"\"abc\n\ndef\"\"", 1, 5, "unterminated multi-line string"),
        InvalidTOMLCase("unterminated multi-line literal", "a = '''abc\n", 1, 5, "unterminated multi-line string"),
        InvalidTOMLCase("bad escape", "a = \"x\\qy\"", 1, 7, "invalid escape sequence '\\q'"),
        InvalidTOMLCase("\\e is not TOML 1.0", "a = \"\\e\"", 1, 6, "invalid escape sequence"),
        InvalidTOMLCase("\\x is not TOML 1.0", "a = \"\\x41\"", 1, 6, "invalid escape sequence"),
        InvalidTOMLCase("short \\u escape", "a = \"\\u12\"", 1, 6, "\\u needs 4 hexadecimal digits"),
        InvalidTOMLCase("short \\U escape", "a = \"\\U0001F60\"", 1, 6, "\\U needs 8 hexadecimal digits"),
        InvalidTOMLCase("unpaired surrogate", "a = \"\\uD800\"", 1, 6, "not a Unicode scalar value"),
        InvalidTOMLCase("escape above U+10FFFF", "a = \"\\U00110000\"", 1, 6, "not a Unicode scalar value"),
        InvalidTOMLCase("space after backslash in a one-line string", "a = \"x\\ \"", 1, 7, "invalid escape"),
        InvalidTOMLCase("backslash-space not at end of line", "a = \"\"\"x\\ y\"\"\"", 1, 9, "must end the line"),
        InvalidTOMLCase("control character in a string", "a = \"x\u{01}\"", 1, 7, "control character U+0001 must be escaped"),
        InvalidTOMLCase("DEL in a literal string", "a = 'x\u{7F}'", 1, 7, "control character U+007F"),
        InvalidTOMLCase("control character in a comment", "a = 1 # x\u{00}y", 1, 10, "control character U+0000 is not allowed in a comment"),
        InvalidTOMLCase("bare carriage return", "a = 1\rb = 2", 1, 6, "carriage return"),
        InvalidTOMLCase("bare carriage return in a string", "a = \"\"\"x\ry\"\"\"", 1, 9, "carriage return"),
        InvalidTOMLCase("multi-line string as a key", "\"\"\"k\"\"\" = 1", 1, 1, "multi-line string cannot be used as a key"),
        InvalidTOMLCase("leading zero", "a = 0123", 1, 5, "leading zeros are not allowed in '0123'"),
        InvalidTOMLCase("leading zero, negative", "a = -01", 1, 5, "leading zeros"),
        InvalidTOMLCase("leading zero in a float", "a = 01.5", 1, 5, "leading zeros"),
        InvalidTOMLCase("leading zero before underscore", "a = 0_1", 1, 5, "leading zeros"),
        InvalidTOMLCase("integer overflow", "a = 9223372036854775808", 1, 5, "integer '9223372036854775808' does not fit in 64 bits"),
        InvalidTOMLCase("integer underflow", "a = -9223372036854775809", 1, 5, "does not fit in 64 bits"),
        InvalidTOMLCase("hex overflow", "a = 0xFFFFFFFFFFFFFFFF", 1, 5, "does not fit in 64 bits"),
        InvalidTOMLCase("double underscore", "a = 1__000", 1, 5, "not a valid number"),
        InvalidTOMLCase("leading underscore", "a = _1", 1, 5, "strings must be quoted"),
        InvalidTOMLCase("trailing underscore", "a = 1_", 1, 5, "not a valid number"),
        InvalidTOMLCase("signed hex", "a = +0x10", 1, 5, "not a valid number"),
        InvalidTOMLCase("empty hex", "a = 0x", 1, 5, "not a valid number"),
        InvalidTOMLCase("bad octal digit", "a = 0o8", 1, 5, "not a valid base-8 integer"),
        InvalidTOMLCase("uppercase radix prefix", "a = 0X10", 1, 5, "not a valid number"),
        InvalidTOMLCase("float without fraction digits", "a = 1.", 1, 5, "a '.' needs digits on both sides"),
        InvalidTOMLCase("float without integer digits", "a = .5", 1, 5, "'.5' is not a valid number"),
        InvalidTOMLCase("float with empty exponent", "a = 1e", 1, 5, "bad exponent"),
        InvalidTOMLCase("float exponent then point", "a = 1e2.5", 1, 5, "bad exponent"),
        InvalidTOMLCase("float out of range", "a = 1e400", 1, 5, "out of range"),
        InvalidTOMLCase("capitalised boolean", "a = True", 1, 5, "invalid value 'True' (strings must be quoted)"),
        InvalidTOMLCase("bare string value", "mode = reverse", 1, 8, "invalid value 'reverse' (strings must be quoted)"),
        InvalidTOMLCase("infinity spelled out", "a = infinity", 1, 5, "strings must be quoted"),
        InvalidTOMLCase("month 13", "a = 1979-13-01", 1, 5, "invalid date or time '1979-13-01'"),
        InvalidTOMLCase("february 30", "a = 1979-02-30", 1, 5, "invalid date or time"),
        InvalidTOMLCase("february 29 of a common year", "a = 1900-02-29", 1, 5, "invalid date or time"),
        InvalidTOMLCase("hour 24", "a = 24:00:00", 1, 5, "invalid date or time"),
        InvalidTOMLCase("time without seconds", "a = 07:32", 1, 5, "invalid date or time"),
        InvalidTOMLCase("offset on a local time", "a = 07:32:00Z", 1, 5, "invalid date or time"),
        InvalidTOMLCase("offset hour 25", "a = 1979-05-27T07:32:00+25:00", 1, 5, "invalid date or time"),
        InvalidTOMLCase("empty fraction", "a = 1979-05-27T07:32:00.Z", 1, 5, "invalid date or time"),
        InvalidTOMLCase("missing =", "key value", 1, 5, "expected '=' after the key, found 'v'"),
        InvalidTOMLCase("key alone on a line", "key\nb = 1", 1, 4, "expected '=' after the key, found the end of the line"),
        InvalidTOMLCase("value missing", "a =\nb = 1", 1, 4, "expected a value, found the end of the line"),
        InvalidTOMLCase("value missing before a comment", "a = # c", 1, 5, "expected a value, found '#'"),
        InvalidTOMLCase("value missing at end of file", "a = ", 1, 5, "expected a value, found the end of the file"),
        InvalidTOMLCase("two pairs on a line", "a = 1 b = 2", 1, 7, "expected the end of the line after the value, found 'b'"),
        InvalidTOMLCase("newline in an inline table", "a = { b = 1,\n c = 2 }", 1, 13, "an inline table must be on one line"),
        InvalidTOMLCase("newline before } in an inline table", "a = { b = 1\n}", 1, 12, "an inline table must be on one line"),
        InvalidTOMLCase("comment in an inline table", "a = { # c\n}", 1, 7, "an inline table must be on one line"),
        InvalidTOMLCase("trailing comma in an inline table", "a = { b = 1, }", 1, 12, "a trailing comma is not allowed in an inline table"),
        InvalidTOMLCase("unterminated inline table", "a = { b = 1", 1, 5, "unterminated inline table"),
        InvalidTOMLCase("missing comma in an inline table", "a = { b = 1 c = 2 }", 1, 13, "expected ',' or '}'"),
        InvalidTOMLCase("bare key with $", "ke$y = 1", 1, 3, "'$' is not allowed in a bare key"),
        InvalidTOMLCase("bare key with a non-ASCII letter", "a = 1\nclé = 2", 2, 3, "'é' is not allowed in a bare key"),
        InvalidTOMLCase("bare key starting with a non-ASCII letter", "é = 1", 1, 1, "'é' is not allowed in a bare key"),
        InvalidTOMLCase("bare key with a space", "[a b]", 1, 4, "expected ']' to close the table header, found 'b'"),
        InvalidTOMLCase("empty bare key segment", "a..b = 1", 1, 3, "expected a key, found '.'"),
        InvalidTOMLCase("key ending with a dot", "a. = 1", 1, 4, "expected a key, found '='"),
        InvalidTOMLCase("garbage byte", "a = 1\n\u{07}", 2, 1, "control character U+0007 is not allowed in a bare key"),
        InvalidTOMLCase("replacement character", "\u{FFFD}\u{FFFD}", 1, 1, "'\u{FFFD}' is not allowed in a bare key"),
        InvalidTOMLCase("empty header", "[]", 1, 2, "expected a key, found ']'"),
        InvalidTOMLCase("unclosed header", "[a\nb = 1", 1, 3, "expected ']' to close the table header"),
        InvalidTOMLCase("unclosed array-of-tables header", "[[a]\n", 1, 4, "expected ']]' to close the table header"),
        InvalidTOMLCase("text after a header", "[a] b", 1, 5, "expected the end of the line after the table header, found 'b'"),
        InvalidTOMLCase("missing comma in an array", "a = [1 2]", 1, 8, "expected ',' or ']' after an array element, found '2'"),
        InvalidTOMLCase("double comma in an array", "a = [1,,2]", 1, 8, "expected a value in the array, found ','"),
        InvalidTOMLCase("leading comma in an array", "a = [,]", 1, 6, "expected a value in the array"),
        InvalidTOMLCase("unterminated array", "a = [1,\n2,\n", 1, 5, "unterminated array"),
        InvalidTOMLCase("too many quotes after a multi-line string", "a = \"\"\"x\"\"\"\"\"\"", 1, 14, "expected the end of the line"),
        InvalidTOMLCase("column counts characters", "s = \"é😀\" x", 1, 10, "found 'x'"),
    ]

    private func check(_ testCase: InvalidTOMLCase) {
        do {
            let document = try TOMLDocument(parsing: testCase.text, fileName: "bad.toml")
            Issue.record("parsed into \(document.root)")
        } catch {
            #expect(error.fileName == "bad.toml")
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.column == testCase.column, "\(error)")
            #expect(error.message.contains(testCase.message), "\(error)")
            #expect(error.description == "bad.toml:\(error.line):\(error.column): \(error.message)")
        }
    }

    @Test(arguments: structure)
    func rejectsStructureErrors(_ testCase: InvalidTOMLCase) {
        check(testCase)
    }

    @Test(arguments: syntax)
    func rejectsSyntaxErrors(_ testCase: InvalidTOMLCase) {
        check(testCase)
    }
}
