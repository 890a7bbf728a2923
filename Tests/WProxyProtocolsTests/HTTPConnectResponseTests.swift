import NIOCore
import Testing
import WProxyProtocols

@Suite struct HTTPConnectResponseTests {
    @Test func allAtOnceLeavesTunnelBytesUnread() throws {
        var buffer = ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{03}\u{01}tunnel\r\n\r\n")
        let response = try #require(try buffer.readHTTPConnectResponse())
        #expect(response == HTTPConnectResponse(statusCode: 200, reason: "Connection established"))
        #expect(response.isSuccess)
        #expect(String(buffer: buffer) == "\u{16}\u{03}\u{01}tunnel\r\n\r\n")
    }

    @Test func dripFed() throws {
        let bytes = Array("HTTP/1.1 200 OK\r\nVia: 1.1 squid\r\nX-Empty:\r\n\r\nTUNNEL".utf8)
        var buffer = ByteBuffer()
        var response: HTTPConnectResponse? = nil
        for byte in bytes {
            buffer.writeInteger(byte)
            if response == nil {
                response = try buffer.readHTTPConnectResponse()
                if response == nil {
                    #expect(buffer.readerIndex == 0)
                }
            }
        }
        #expect(response?.statusCode == 200)
        #expect(response?.headers == [.init(name: "Via", value: "1.1 squid"), .init(name: "X-Empty", value: "")])
        #expect(String(buffer: buffer) == "TUNNEL")
    }

    @Test func everyTruncationNeedsMoreData() throws {
        let head = Array("HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n".utf8)
        for length in 0..<head.count {
            var buffer = ByteBuffer(bytes: head.prefix(length))
            #expect(try buffer.readHTTPConnectResponse() == nil, "at \(length)")
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test func parses407WithItsChallenge() throws {
        var buffer = ByteBuffer(
            string: "HTTP/1.1 407 Proxy Authentication Required\r\n"
                + "Proxy-Authenticate:  Basic realm=\"wproxy\" \t\r\nContent-Length: 0\r\n\r\n"
        )
        let response = try #require(try buffer.readHTTPConnectResponse())
        #expect(response.statusCode == 407)
        #expect(response.reason == "Proxy Authentication Required")
        #expect(!response.isSuccess)
        #expect(response.value(forHeader: "proxy-authenticate") == "Basic realm=\"wproxy\"")
        #expect(response.value(forHeader: "CONTENT-LENGTH") == "0")
        #expect(response.value(forHeader: "Via") == nil)
        #expect(buffer.readableBytes == 0)
    }

    @Test func toleratesBareLineFeeds() throws {
        var buffer = ByteBuffer(string: "HTTP/1.0 200 OK\nServer: x\n\nrest")
        #expect(try buffer.readHTTPConnectResponse() == HTTPConnectResponse(statusCode: 200, reason: "OK", headers: [.init(name: "Server", value: "x")]))
        #expect(String(buffer: buffer) == "rest")
        var mixed = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\nrest")
        #expect(try mixed.readHTTPConnectResponse()?.statusCode == 200)
        #expect(String(buffer: mixed) == "rest")
    }

    @Test func reasonPhraseMayBeEmptyOrMissing() throws {
        var missing = ByteBuffer(string: "HTTP/1.1 200\r\n\r\n")
        #expect(try missing.readHTTPConnectResponse() == HTTPConnectResponse(statusCode: 200, reason: ""))
        var empty = ByteBuffer(string: "HTTP/1.1 204 \r\n\r\n")
        #expect(try empty.readHTTPConnectResponse() == HTTPConnectResponse(statusCode: 204, reason: ""))
    }

    @Test func oversizedHeadThrows() {
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n")
        while buffer.readableBytes < 20000 {
            buffer.writeString("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
        }
        #expect(throws: HTTPConnectError.headTooLarge) { try buffer.readHTTPConnectResponse() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func headExactlyAtTheLimitIsAccepted() throws {
        let head = "HTTP/1.1 200 OK\r\n\r\n"
        var exact = ByteBuffer(string: head + "more")
        #expect(try exact.readHTTPConnectResponse(maxHeadBytes: head.utf8.count) != nil)
        var oneShort = ByteBuffer(string: head + "more")
        #expect(throws: HTTPConnectError.headTooLarge) { try oneShort.readHTTPConnectResponse(maxHeadBytes: head.utf8.count - 1) }
        var waiting = ByteBuffer(string: "HTTP/1.1 200 OK\r\n")
        #expect(try waiting.readHTTPConnectResponse(maxHeadBytes: head.utf8.count) == nil)
    }

    @Test(arguments: [
        "SSH-2.0-OpenSSH_9.6\r\n", "<html>", "http/1.1 200 OK\r\n\r\n", "\r\n\r\n", "\n",
    ])
    func garbageThrowsEarly(_ text: String) {
        var buffer = ByteBuffer(string: text)
        #expect(throws: HTTPConnectError.malformedStatusLine, "\(text)") { try buffer.readHTTPConnectResponse() }
        #expect(buffer.readerIndex == 0)
        // The first byte is enough.
        var first = ByteBuffer(string: String(text.prefix(1)))
        #expect(throws: HTTPConnectError.malformedStatusLine) { try first.readHTTPConnectResponse() }
    }

    @Test(arguments: [
        "HTTP/2 200\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/1.1 2000 OK\r\n", "HTTP/1.1 abc OK\r\n", "HTTP/1.1 099 Low\r\n",
        "HTTP/1.1 600 High\r\n", "HTTP/1.1  200 OK\r\n", "HTTP/1.1 200\tOK\r\n", "HTTP/1.1 200 O\u{0}K\r\n",
        "HTTP/1.1 200 OK\r\r\n", "HTTP/2.0 200 OK\r\n", "HTTP/1.x 200 OK\r\n", "HTTP/1.1\r\n",
    ])
    func badStatusLinesThrowOnceTheLineIsComplete(_ line: String) {
        var buffer = ByteBuffer(string: line)
        #expect(throws: HTTPConnectError.malformedStatusLine, "\(line)") { try buffer.readHTTPConnectResponse() }
        #expect(buffer.readerIndex == 0)
    }

    @Test(arguments: [
        "NoColon\r\n", " folded: x\r\n", "Bad Name: x\r\n", "Name : x\r\n", ": empty\r\n", "X: a\u{7}b\r\n", "X: a\rb\r\n",
    ])
    func badHeaderLinesThrow(_ line: String) {
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + line + "\r\n")
        #expect(throws: HTTPConnectError.malformedHeader, "\(line)") { try buffer.readHTTPConnectResponse() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func randomGarbageAfterTheVersionNeverTraps() {
        var generator = SplitMix64(seed: 3)
        let alphabet = Array("HTTP/1.0 2047OK:xX \t\r\n\u{0}".utf8)
        for _ in 0..<3000 {
            let tail = (0..<Int.random(in: 0...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var buffer = ByteBuffer(bytes: Array("HTTP/1.1 ".utf8) + tail)
            if (try? buffer.readHTTPConnectResponse(maxHeadBytes: 50)) == nil {
                #expect(buffer.readerIndex == 0)
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        var buffer = ByteBuffer(string: "HTTP/1.1 9xx Nope\r\n")
        do {
            _ = try buffer.readHTTPConnectResponse()
            Issue.record("expected a throw")
        } catch {
            #expect(error.description == "malformed status line in CONNECT response: \"HTTP/1.1 9xx Nope\"")
        }
    }
}
