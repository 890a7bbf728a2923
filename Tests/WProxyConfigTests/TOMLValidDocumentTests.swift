import Testing
import WProxyConfig

/// Parses `text`, failing the test (and returning an empty table) when it does not parse.
func parseTOML(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLTable {
    do {
        return try TOMLDocument(parsing: text, fileName: "test.toml").root
    } catch {
        Issue.record("unexpected error: \(error)", sourceLocation: sourceLocation)
        return TOMLTable(line: 1, entries: [])
    }
}

/// A valid document and its tree in inline TOML (`TOMLTable.description`).
struct ValidTOMLCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let tree: String
    var testDescription: String { name }

    init(_ name: String, _ text: String, _ tree: String) {
        self.name = name
        self.text = text
        self.tree = tree
    }
}

@Suite struct TOMLValidDocumentTests {
    static let cases: [ValidTOMLCase] = [
        ValidTOMLCase("empty document", "", "{}"),
        ValidTOMLCase("only comments and blank lines", "# a\n\n   # b\t\n\n", "{}"),
        ValidTOMLCase("comments after values", "a = 1 # one\nb = \"# not a comment\" #c\n", ##"{a = 1, b = "# not a comment"}"##),
        ValidTOMLCase("bare keys", "key = 1\nbare_key = 2\nbare-key = 3\n1234 = 4\n", "{key = 1, bare_key = 2, bare-key = 3, 1234 = 4}"),
        ValidTOMLCase(
            "quoted keys", "\"127.0.0.1\" = 1\n\"ʎǝʞ\" = 2\n'quoted \"value\"' = 3\n\"\" = 4\n\"a\\tb\" = 5\n",
            #"{"127.0.0.1" = 1, "ʎǝʞ" = 2, "quoted \"value\"" = 3, "" = 4, "a\tb" = 5}"#),
        ValidTOMLCase(
            "dotted keys", "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true\n",
            #"{name = "Orange", physical = {color = "orange", shape = "round"}, site = {"google.com" = true}}"#),
        ValidTOMLCase("whitespace around dots", "fruit . flavor\t.  name = 1", "{fruit = {flavor = {name = 1}}}"),
        ValidTOMLCase("numeric dotted key", "3.14159 = \"pi\"", #"{3 = {14159 = "pi"}}"#),
        ValidTOMLCase("no whitespace around =", "a=1\nb =2\nc= 3", "{a = 1, b = 2, c = 3}"),
        ValidTOMLCase(
            "integers",
            "a = +99\nb = 42\nc = 0\nd = -17\ne = 1_000\nf = 5_349_221\ng = -0\nh = +0\ni = 9223372036854775807\nj = -9223372036854775808",
            "{a = 99, b = 42, c = 0, d = -17, e = 1000, f = 5349221, g = 0, h = 0, i = 9223372036854775807, j = -9223372036854775808}"),
        ValidTOMLCase(
            "hex, octal and binary integers",
            "a = 0xDEADBEEF\nb = 0xdeadbeef\nc = 0xdead_beef\nd = 0o01234567\ne = 0o755\nf = 0b11010110\ng = 0x7FFFFFFFFFFFFFFF\nh = 0x0",
            "{a = 3735928559, b = 3735928559, c = 3735928559, d = 342391, e = 493, f = 214, g = 9223372036854775807, h = 0}"),
        ValidTOMLCase(
            "floats",
            "a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\ni = 0.0\nj = -0.0\nk = 1e1_0\nl = 0e0",
            "{a = 1.0, b = 3.1415, c = -0.01, d = 5e+22, e = 1000000.0, f = -0.02, g = 6.626e-34, h = 224617.445991228, i = 0.0, j = -0.0, k = 10000000000.0, l = 0.0}"
        ),
        ValidTOMLCase(
            "special floats", "a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan",
            "{a = inf, b = inf, c = -inf, d = nan, e = nan, f = nan}"),
        ValidTOMLCase("booleans", "t = true\nf = false", "{t = true, f = false}"),
        ValidTOMLCase(
            "date-times",
            """
            odt1 = 1979-05-27T07:32:00Z
            odt2 = 1979-05-27T00:32:00-07:00
            odt3 = 1979-05-27T00:32:00.999999+05:30
            odt4 = 1979-05-27 07:32:00Z
            odt5 = 1979-05-27t07:32:00z
            ldt1 = 1979-05-27T07:32:00
            ldt2 = 1979-05-27T00:32:00.999999
            ld = 1979-05-27
            leap = 2000-02-29
            lt1 = 07:32:00
            lt2 = 00:32:00.999999
            second60 = 23:59:60
            """,
            "{odt1 = 1979-05-27T07:32:00Z, odt2 = 1979-05-27T00:32:00-07:00, odt3 = 1979-05-27T00:32:00.999999+05:30, "
                + "odt4 = 1979-05-27 07:32:00Z, odt5 = 1979-05-27t07:32:00z, ldt1 = 1979-05-27T07:32:00, "
                + "ldt2 = 1979-05-27T00:32:00.999999, ld = 1979-05-27, leap = 2000-02-29, lt1 = 07:32:00, "
                + "lt2 = 00:32:00.999999, second60 = 23:59:60}"),
        ValidTOMLCase(
            "arrays",
            """
            integers = [ 1, 2, 3 ]
            colors = [ "red", "yellow", "green" ]
            nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', \"\"\"are the same\"\"\", '''type''' ]
            numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
            contributors = [
              "Foo Bar <foo@example.com>",
              { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
            ]
            empty = []
            spaced = [ ]
            dates = [1979-05-27 , 07:32:00]
            """,
            #"{integers = [1, 2, 3], colors = ["red", "yellow", "green"], nested_arrays_of_ints = [[1, 2], [3, 4, 5]], "#
                + #"nested_mixed_array = [[1, 2], ["a", "b", "c"]], string_array = ["all", "strings", "are the same", "type"], "#
                + #"numbers = [0.1, 0.2, 0.5, 1, 2, 5], contributors = ["Foo Bar <foo@example.com>", "#
                + #"{name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux"}], empty = [], spaced = [], "#
                + "dates = [1979-05-27, 07:32:00]}"),
        ValidTOMLCase(
            "arrays with newlines, comments and trailing commas",
            "a = [\n  1, # one\n  # nothing\n  2,\n]\nb = [1,2,]\nc = [\n\n]\nd = [ # c\n [ 1 ] , [ ] , ]\n",
            "{a = [1, 2], b = [1, 2], c = [], d = [[1], []]}"),
        ValidTOMLCase(
            "inline tables",
            "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = {x=1,y=2}\nanimal = { type.name = \"pug\", type.age = 3 }\nempty = {}\nnested = { a = { b = { c = [1, {d = 2}] } } }",
            #"{name = {first = "Tom", last = "Preston-Werner"}, point = {x = 1, y = 2}, animal = {type = {name = "pug", age = 3}}, "#
                + "empty = {}, nested = {a = {b = {c = [1, {d = 2}]}}}}"),
        ValidTOMLCase(
            "tables",
            "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456\n[dog.\"tater.man\"]\ntype.name = \"pug\"\n[ j . \"ʞ\" . 'l' ]\n[empty]\n",
            #"{table-1 = {key1 = "some string", key2 = 123}, table-2 = {key1 = "another string", key2 = 456}, "#
                + #"dog = {"tater.man" = {type = {name = "pug"}}}, j = {"ʞ" = {l = {}}}, empty = {}}"#),
        ValidTOMLCase(
            "implicit super-tables, defined later",
            "[x.y.z.w]\na = 1\n[x]\nb = 2\n[x.y.other]\n",
            "{x = {y = {z = {w = {a = 1}}, other = {}}, b = 2}}"),
        ValidTOMLCase(
            "tables out of order",
            "[fruit.apple]\n[animal]\n[fruit.orange]\n",
            "{fruit = {apple = {}, orange = {}}, animal = {}}"),
        ValidTOMLCase(
            "sub-tables of tables made by dotted keys",
            "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
            #"{fruit = {apple = {color = "red", taste = {sweet = true}, texture = {smooth = true}}}}"#),
        ValidTOMLCase(
            "root keys then a table",
            "top = 1\n[t]\ninner = 2\n",
            "{top = 1, t = {inner = 2}}"),
        ValidTOMLCase(
            "dotted keys through implicit tables",
            "[a.b.c]\nz = 9\n[a]\nb.d = 1\n",
            "{a = {b = {c = {z = 9}, d = 1}}}"),
        ValidTOMLCase(
            "arrays of tables",
            "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty\n\n[[products]]\nname = \"Nail\"\ncolor = \"gray\"\n",
            #"{products = [{name = "Hammer", sku = 738594937}, {}, {name = "Nail", color = "gray"}]}"#),
        ValidTOMLCase(
            "nested arrays of tables and sub-tables",
            """
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """,
            #"{fruits = [{name = "apple", physical = {color = "red", shape = "round"}, varieties = [{name = "red delicious"}, "#
                + #"{name = "granny smith"}]}, {name = "banana", varieties = [{name = "plantain"}]}]}"#),
        ValidTOMLCase(
            "array of tables under an implicit table",
            "[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[a]\ny = 3\n",
            "{a = {b = [{x = 1}, {x = 2}], y = 3}}"),
        ValidTOMLCase(
            "CRLF line endings",
            "a = 1\r\n# comment\r\n[t]\r\nb = [\r\n 1,\r\n]\r\nc = \"\"\"\r\nx\r\ny\"\"\"\r\n",
            #"{a = 1, t = {b = [1], c = "x\ny"}}"#),
        ValidTOMLCase("byte order mark", "\u{FEFF}a = 1\n", "{a = 1}"),
        ValidTOMLCase("no newline at the end", "a = 1", "{a = 1}"),
        ValidTOMLCase("tabs as whitespace", "\ta\t=\t1\t#\tc\n[\tt\t]\n", "{a = 1, t = {}}"),
    ]

    @Test(arguments: cases)
    func parsesTree(_ testCase: ValidTOMLCase) {
        #expect(parseTOML(testCase.text).description == testCase.tree)
    }

    @Test func basicStringEscapes() {
        let table = parseTOML(#"s = "a\b\t\n\f\r\"\\\u00E9\U0001F600 é""#)
        #expect(table["s"]?.stringValue == "a\u{08}\t\n\u{0C}\r\"\\é😀 é")
    }

    @Test func multiLineBasicStrings() {
        let table = parseTOML(
            "a = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
                + "b = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
                + "c = \"\"\"\\\n       The quick brown \\\t \n       fox.\\\n       \"\"\"\n"
                + "d = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
                + "e = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
                + "f = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
                + "g = \"\"\"ends with two quotes\"\"\"\"\"\n"
                + "h = \"\"\"\"\"\"\n"
                + "i = \"\"\"tab\there \\u0041\"\"\"\n")
        #expect(table["a"]?.stringValue == "Roses are red\nViolets are blue")
        #expect(table["b"]?.stringValue == "The quick brown fox jumps over the lazy dog.")
        #expect(table["c"]?.stringValue == "The quick brown fox.")
        #expect(table["d"]?.stringValue == "Here are two quotation marks: \"\". Simple enough.")
        #expect(table["e"]?.stringValue == "Here are three quotation marks: \"\"\".")
        #expect(table["f"]?.stringValue == "\"This,\" she said, \"is just a pointless statement.\"")
        #expect(table["g"]?.stringValue == "ends with two quotes\"\"")
        #expect(table["h"]?.stringValue == "")
        #expect(table["i"]?.stringValue == "tab\there A")
    }

    @Test func literalStrings() {
        let table = parseTOML(
            #"""
            winpath  = 'C:\Users\nodejs\templates'
            quoted   = 'Tom "Dubs" Preston-Werner'
            regex    = '<\i\c*\s*>'
            empty    = ''
            regex2 = '''I [dw]on't need \d{2} apples'''
            lines  = '''
            The first newline is
            trimmed in raw strings.
               All other whitespace
               is preserved.
            '''
            quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
            apos15 = "Here are fifteen apostrophes: '''''''''''''''"
            str = ''''That,' she said, 'is still pointless.''''
            """#)
        #expect(table["winpath"]?.stringValue == #"C:\Users\nodejs\templates"#)
        #expect(table["quoted"]?.stringValue == #"Tom "Dubs" Preston-Werner"#)
        #expect(table["regex"]?.stringValue == #"<\i\c*\s*>"#)
        #expect(table["empty"]?.stringValue == "")
        #expect(table["regex2"]?.stringValue == #"I [dw]on't need \d{2} apples"#)
        #expect(table["lines"]?.stringValue == "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n")
        #expect(table["quot15"]?.stringValue == "Here are fifteen quotation marks: " + String(repeating: "\"", count: 15))
        #expect(table["apos15"]?.stringValue == "Here are fifteen apostrophes: " + String(repeating: "'", count: 15))
        #expect(table["str"]?.stringValue == "'That,' she said, 'is still pointless.'")
    }

    @Test func specialFloatValues() {
        let table = parseTOML("a = nan\nb = -inf\nc = -0.0\nd = 1.7976931348623157e308\ne = 5e-324")
        #expect(table["a"]?.floatValue?.isNaN == true)
        #expect(table["b"]?.floatValue == -.infinity)
        #expect(table["c"]?.floatValue?.sign == .minus)
        #expect(table["d"]?.floatValue == .greatestFiniteMagnitude)
        #expect(table["e"]?.floatValue == .leastNonzeroMagnitude)
    }

    @Test func valueKindsAndTypeNames() {
        let table = parseTOML("s = ''\ni = 1\nf = 1.5\nb = true\nd = 1979-05-27\na = []\nt = {}")
        #expect(table.keys == ["s", "i", "f", "b", "d", "a", "t"])
        #expect(table.entries.map(\.value.typeName) == ["string", "integer", "float", "boolean", "datetime", "array", "table"])
        #expect(table["i"]?.integerValue == 1)
        #expect(table["i"]?.floatValue == nil)
        #expect(table["b"]?.boolValue == true)
        #expect(table["d"]?.datetimeValue == "1979-05-27")
        #expect(table["a"]?.arrayValue?.isEmpty == true)
        #expect(table["t"]?.tableValue?.isEmpty == true)
        #expect(table["missing"] == nil)
        #expect(table.keyLine("missing") == nil)
    }

    @Test func documentKeepsItsFileName() throws {
        let document = try TOMLDocument(parsing: "a = 1", fileName: "/etc/wproxy.toml")
        #expect(document.fileName == "/etc/wproxy.toml")
        #expect(document.root.line == 1)
        #expect(document.root.count == 1)
    }
}
