import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct HTTPHostParserTests {
    static let request = Array("GET /path?q=1 HTTP/1.1\r\nUser-Agent: test\r\nHost: Example.COM:8080\r\nAccept: */*\r\n\r\n".utf8)

    func peek(_ bytes: [UInt8], maxBytes: Int = HTTPHostParser.defaultMaxBytes) throws(HTTPHostError) -> HTTPHostPeekResult {
        // A non-zero reader index, to check that only the readable bytes count.
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB] + bytes)
        buffer.moveReaderIndex(forwardBy: 2)
        let before = buffer
        let result = try HTTPHostParser(maxBytes: maxBytes).peek(buffer)
        #expect(buffer == before)
        return result
    }

    @Test func allAtOnce() throws {
        #expect(try peek(Self.request) == .host("example.com"))
    }

    @Test func everyTruncationBeforeTheHostLineNeedsMoreData() throws {
        let hostLineEnd = Self.request.count - "Accept: */*\r\n\r\n".utf8.count
        for length in 0..<hostLineEnd {
            #expect(try peek(Array(Self.request.prefix(length))) == .needMoreData, "at \(length)")
        }
        #expect(try peek(Array(Self.request.prefix(hostLineEnd))) == .host("example.com"))
    }

    @Test(arguments: [
        ("Host: example.com", "example.com"),
        ("hOsT:example.com.", "example.com"),
        ("Host: \t  WWW.Example.Test:443 \t", "www.example.test"),
        ("Host: [::1]:8080", "::1"),
        ("Host: [2001:DB8::1]", "2001:db8::1"),
        ("Host: 192.0.2.1:80", "192.0.2.1"),
        ("Host: under_score.example", "under_score.example"),
    ])
    func hostForms(line: String, expected: String) throws {
        #expect(try peek(Array("GET / HTTP/1.1\r\n\(line)\r\n\r\n".utf8)) == .host(expected))
    }

    @Test func noOrEmptyHost() throws {
        #expect(try peek(Array("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n".utf8)) == .host(nil))
        #expect(try peek(Array("GET / HTTP/1.1\r\nHost:\r\n\r\n".utf8)) == .host(nil))
    }

    @Test func bareLineFeedsAndFoldedLines() throws {
        #expect(try peek(Array("GET / HTTP/1.1\nX-A: 1\n continued\nHost: a.test\n\n".utf8)) == .host("a.test"))
    }

    @Test func otherMethodsAndVersions() throws {
        #expect(try peek(Array("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n".utf8)) == .host("239.255.255.250"))
        #expect(try peek(Array("PRI * HTTP/2.0\r\n\r\n".utf8)) == .host(nil))
    }

    @Test func tlsIsRejectedAfterOneByte() {
        #expect(throws: HTTPHostError.notHTTP) { try peek([0x16]) }
    }

    @Test(arguments: [
        "ssh-2.0-OpenSSH\r\n",
        "SSH-2.0-OpenSSH_9.2\r\n",
        "GET /\r\n",
        "GET / FTP/1.0\r\n",
        "GET / HTTP/1.1 extra\r\n",
        "GET  / HTTP/1.1\r\n",
        "G\u{1}T / HTTP/1.1",
        "GET /\u{0} HTTP/1.1",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ / HTTP/1.1",
    ])
    func notHTTP(text: String) {
        #expect(throws: HTTPHostError.notHTTP) { try peek(Array(text.utf8)) }
    }

    @Test func garbageThrowsOrWaitsButNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes = Array("GET / HTTP/1.1\r\n".utf8) + bytes }
            _ = try? peek(bytes)
        }
    }

    @Test func malformedHeaderLine() {
        #expect(throws: HTTPHostError.malformedHeader) { try peek(Array("GET / HTTP/1.1\r\nno colon here\r\n".utf8)) }
        #expect(throws: HTTPHostError.malformedHeader) { try peek(Array("GET / HTTP/1.1\r\n: empty name\r\n".utf8)) }
    }

    @Test(arguments: ["Host: exa mple.com", "Host: a/b", "Host: a.test:http", "Host: [::1", "Host: [zz::1]:80", "Host: a.test:123456"])
    func invalidHost(line: String) {
        #expect(throws: HTTPHostError.invalidHost) { try peek(Array("GET / HTTP/1.1\r\n\(line)\r\n\r\n".utf8)) }
    }

    @Test func limit() throws {
        let head = Array("GET / HTTP/1.1\r\nX-Pad: \(String(repeating: "p", count: 100))\r\n".utf8)
        #expect(try peek(head, maxBytes: 200) == .needMoreData)
        #expect(throws: HTTPHostError.tooLarge) { try peek(head + Array("X-More: 1".utf8), maxBytes: head.count) }
        // The Host line completes within the limit: found, even with bytes beyond it.
        let withHost = Array("GET / HTTP/1.1\r\nHost: a.test\r\n".utf8)
        #expect(try peek(withHost + [UInt8](repeating: 0x41, count: 50), maxBytes: withHost.count) == .host("a.test"))
    }

    @Test func errorsDescribeThemselves() {
        do {
            _ = try peek([0x16, 0x03])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("not an HTTP/1.x request"))
        }
    }
}
