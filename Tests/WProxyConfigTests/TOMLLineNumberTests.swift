import Testing
import WProxyConfig

@Suite struct TOMLLineNumberTests {
    static let document = """
        # comment                   (1)
        title = "x"
        list = [
          "a",
            "b", 3,
        ]

        [server]
        host.name = "h"
        host.port = 8080
        desc = \"\"\"
        several
        lines\"\"\"
        after = 'after the multi-line string'
        literal = '''
        x
        '''
        inline = { a = 1, b = { c = 2 } }

        [[items]]
        name = "one"

        [[items]]   # second
        name = "two"
          [items.sub]
          deep = true

        [a.b.c]
        x = 1
        [a]
        y = 2
        """

    @Test func keysAndValuesRecordTheirLines() {
        let root = parseTOML(Self.document)
        #expect(root.line == 1)
        #expect(root.keyLine("title") == 2)
        #expect(root["title"]?.line == 2)
        #expect(root.keyLine("list") == 3)
        #expect(root["list"]?.line == 3)
        #expect(root["list"]?.arrayValue?.map(\.line) == [4, 5, 5])
    }

    @Test func headersAndDottedKeys() throws {
        let root = parseTOML(Self.document)
        #expect(root.keyLine("server") == 8)
        let server = try #require(root["server"]?.tableValue)
        #expect(server.line == 8)
        #expect(root["server"]?.line == 8)
        #expect(server.keyLine("host") == 9)
        let host = try #require(server["host"]?.tableValue)
        #expect(host.line == 9)
        #expect(host.keyLine("name") == 9)
        #expect(host.keyLine("port") == 10)
        #expect(host["port"]?.line == 10)
    }

    @Test func multiLineStringsStartWhereTheyOpen() throws {
        let server = try #require(parseTOML(Self.document)["server"]?.tableValue)
        #expect(server["desc"]?.line == 11)
        #expect(server["desc"]?.stringValue == "several\nlines")
        #expect(server.keyLine("after") == 14)
        #expect(server["literal"]?.line == 15)
        #expect(server["literal"]?.stringValue == "x\n")
        #expect(server.keyLine("inline") == 18)
        let inline = try #require(server["inline"]?.tableValue)
        #expect(inline.line == 18)
        #expect(inline["b"]?.tableValue?.line == 18)
    }

    @Test func arrayOfTablesElements() throws {
        let root = parseTOML(Self.document)
        #expect(root.keyLine("items") == 20)
        let items = try #require(root["items"])
        #expect(items.line == 20)
        let elements = try #require(items.arrayValue)
        #expect(elements.map(\.line) == [20, 23])
        #expect(elements.map { $0.tableValue?.line } == [20, 23])
        let second = try #require(elements[1].tableValue)
        #expect(second.keyLine("name") == 24)
        #expect(second.keyLine("sub") == 25)
        #expect(second["sub"]?.tableValue?.keyLine("deep") == 26)
    }

    @Test func implicitTableKeepsFirstKeyLineAndTakesHeaderLine() throws {
        let root = parseTOML(Self.document)
        #expect(root.keyLine("a") == 28)
        let a = try #require(root["a"]?.tableValue)
        #expect(a.line == 30)
        #expect(a.keyLine("b") == 28)
        #expect(a["b"]?.tableValue?.line == 28)
        #expect(a.keyLine("y") == 31)
    }

    @Test func crlfLinesCount() throws {
        let root = parseTOML("a = 1\r\nb = \"\"\"\r\nx\r\n\"\"\"\r\n\r\n[t]\r\nc = [\r\n1]\r\n")
        #expect(root.keyLine("b") == 2)
        #expect(root.keyLine("t") == 6)
        #expect(root["t"]?.tableValue?["c"]?.arrayValue?.first?.line == 8)
    }

    @Test func lineEndingBackslashesCountLines() {
        let root = parseTOML("a = \"\"\"x \\\n\n\n  y\"\"\"\nb = 1")
        #expect(root["a"]?.stringValue == "x y")
        #expect(root.keyLine("b") == 5)
    }

    @Test func byteOrderMarkDoesNotShiftColumns() throws {
        do {
            _ = try TOMLDocument(parsing: "\u{FEFF}a = ?", fileName: "bom.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 1)
            #expect(error.column == 5)
        }
    }
}
