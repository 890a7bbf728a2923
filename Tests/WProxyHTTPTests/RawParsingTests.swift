import NIOCore
import NIOHTTP1
import Testing
import WProxyHTTP

@Suite struct RawRequestHeadTests {
    private func parse(_ text: String, maxHead: Int = 32 << 10, maxURI: Int = 8 << 10) throws(RequestHeadError) -> RawRequestHead? {
        var buffer = ByteBuffer(string: text)
        return try buffer.readRawRequestHead(maxHead: maxHead, maxURI: maxURI)
    }

    private func status(_ text: String, maxHead: Int = 32 << 10, maxURI: Int = 8 << 10) -> HTTPResponseStatus? {
        do {
            _ = try parse(text, maxHead: maxHead, maxURI: maxURI)
            return nil
        } catch {
            return error.status
        }
    }

    @Test func parsesARequest() throws {
        var buffer = ByteBuffer(string: "\r\nGET /a?b=1 HTTP/1.1\r\nHost: x.test\r\nX-A:  spaced value \t\r\n\r\nBODY")
        let head = try #require(try buffer.readRawRequestHead(maxHead: 1024, maxURI: 64))
        #expect(head.method == .GET && head.uri == "/a?b=1" && head.version == .http1_1)
        #expect(head.value("host") == "x.test" && head.value("X-A") == "spaced value")
        #expect(String(buffer: buffer) == "BODY")  // the body is left in the buffer
        #expect(head.httpHead.headers["x-a"] == ["spaced value"])
    }

    /// Values are checked eight bytes at a time: a bad byte, trailing whitespace and obs-text must be
    /// found wherever they fall in a word.
    @Test func longValuesAreCheckedAtEveryOffset() throws {
        let base = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        for position in 0..<base.count {
            for bad: UInt8 in [0x00, 0x01, 0x0A, 0x1F, 0x7F] {
                var value = base
                value[position] = bad
                var bytes = Array("GET / HTTP/1.1\r\nX-V: ".utf8) + value + Array("\r\n\r\n".utf8)
                var buffer = ByteBuffer(bytes: bytes)
                #expect(throws: RequestHeadError.self) { try buffer.readRawRequestHead(maxHead: 1024, maxURI: 64) }
                bytes = Array("HTTP/1.1 200 OK\r\nX-V: ".utf8) + value + Array("\r\n\r\n".utf8)
                buffer = ByteBuffer(bytes: bytes)
                #expect(throws: ResponseHeadError.self) { try buffer.readRawResponseHead(limit: 1024) }
            }
            for good: UInt8 in [0x09, 0x20, 0x7E, 0x80, 0xFF] {
                var value = base
                value[position] = good
                var buffer = ByteBuffer(bytes: Array("GET / HTTP/1.1\r\nX-V: ".utf8) + value + Array(" \t \r\nX-W: w\r\n\r\n".utf8))
                let head = try #require(try buffer.readRawRequestHead(maxHead: 1024, maxURI: 64))
                var expected = value
                while let last = expected.last, last == 0x20 || last == 0x09 { expected.removeLast() }
                while let first = expected.first, first == 0x20 || first == 0x09 { expected.removeFirst() }  // leading OWS
                #expect(Array(head.value(head.fields[0])) == expected)
                #expect(head.value("x-w") == "w")
                var response = ByteBuffer(bytes: Array("HTTP/1.1 200 OK\r\nX-V: ".utf8) + value + Array("\r\n\r\n".utf8))
                let responseHead = try #require(try response.readRawResponseHead(limit: 1024))
                #expect(Array(responseHead.value(responseHead.fields[0])) == expected)
            }
        }
        var empty = ByteBuffer(string: "GET / HTTP/1.1\r\nX-E:    \r\nX-F:\r\n\r\n")
        let head = try #require(try empty.readRawRequestHead(maxHead: 1024, maxURI: 64))
        #expect(head.fields.count == 2 && head.value(head.fields[0]).isEmpty && head.value(head.fields[1]).isEmpty)
    }

    /// Common methods are kept as a code, every other one is read back from the request line: both
    /// must give the method that was sent, also after a route rewrote the head.
    @Test(arguments: [
        ("GET", HTTPMethod.GET), ("HEAD", .HEAD), ("POST", .POST), ("PUT", .PUT), ("DELETE", .DELETE),
        ("OPTIONS", .OPTIONS), ("PATCH", .PATCH), ("TRACE", .TRACE), ("PROPFIND", .PROPFIND),
        ("MKCOL", .MKCOL), ("BREW", .RAW(value: "BREW")),
    ])
    func methodsSurviveTheHead(spelled: String, method: HTTPMethod) throws {
        let head = try #require(try parse("\(spelled) /p HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(head.method == method)
        let copy = head
        #expect(copy.method == method)
        let rewritten = head.rewritten(target: "/other/path", edits: HeaderEdits())
        #expect(rewritten.method == method && rewritten.uri == "/other/path")
    }

    @Test func dripFedHeadsWaitForTheEmptyLine() throws {
        let text = "POST /u HTTP/1.0\r\nContent-Length: 3\r\n\r\n"
        for end in 0..<text.utf8.count {
            var buffer = ByteBuffer(bytes: Array(text.utf8.prefix(end)))
            #expect(try buffer.readRawRequestHead(maxHead: 1024, maxURI: 64) == nil)
        }
        let head = try #require(try parse(text))
        #expect(head.method == .POST && head.version == .http1_0)
        #expect(try head.facts().framing == .contentLength(3))
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",            // whitespace before the colon
        "GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", // obs-fold
        "GET / HTTP/1.1\r\nX-A: a\u{0B}b\r\n\r\n",         // control character
        "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",              // bare CR
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n: novalue\r\n\r\n",
        "GARBAGE\r\n\r\n",
    ])
    func malformedHeadsAre400(text: String) {
        #expect(status(text) == .badRequest)
    }

    @Test func limits() {
        #expect(status("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\n\r\n", maxURI: 64) == .uriTooLong)
        #expect(status("GET /" + String(repeating: "a", count: 2000), maxHead: 1024, maxURI: 64) == .uriTooLong)
        #expect(status("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000) + "\r\n\r\n", maxHead: 1024, maxURI: 64)
            == .requestHeaderFieldsTooLarge)
        #expect(status("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000), maxHead: 1024, maxURI: 64)
            == .requestHeaderFieldsTooLarge)
    }

    /// The smuggling shapes, now on raw heads.
    @Test(arguments: [
        "Content-Length: 4\r\nTransfer-Encoding: chunked",
        "Content-Length: 4\r\nContent-Length: 5",
        "Content-Length: 4, 5",
        "Content-Length: +4",
        "Content-Length: 0x4",
        "Transfer-Encoding: gzip",
        "Transfer-Encoding: chunked, gzip",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: xchunked",
        "Transfer-Encoding: \"chunked\"",
    ])
    func smugglingFacts(headers: String) throws {
        let head = try #require(try parse("POST / HTTP/1.1\r\nHost: x\r\n\(headers)\r\n\r\n"))
        #expect(throws: FramingError.self) { try head.facts() }
    }

    @Test func facts() throws {
        let upgrade = try #require(try parse("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"))
        let facts = try upgrade.facts()
        #expect(facts.isUpgrade && facts.keepAlive && facts.framing == MessageFraming.none)
        let close = try #require(try parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"))
        #expect(try !close.facts().keepAlive)
        let chunked = try #require(try parse("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"))
        #expect(try chunked.facts().framing == .chunked)
    }

    /// The hot path's two steps (length, then a non-optional head) agree with the one-step reader,
    /// leave the buffer alone while the head is incomplete, and refuse what it refuses.
    @Test func lengthThenHead() throws {
        let text = "\r\nGET /p HTTP/1.1\r\nHost: h\r\n\r\nREST"
        for end in 0..<(text.utf8.count - 4) {
            var partial = ByteBuffer(bytes: Array(text.utf8.prefix(end)))
            let before = partial.readableBytes
            #expect(try partial.rawRequestHeadLength(maxHead: 1024, maxURI: 64) == nil)
            #expect(partial.readableBytes <= before && before - partial.readableBytes <= 2)  // only a leading empty line goes
        }
        var buffer = ByteBuffer(string: text)
        let length = try #require(try buffer.rawRequestHeadLength(maxHead: 1024, maxURI: 64))
        #expect(length == text.utf8.count - 2 - 4)
        let head = try buffer.readRawRequestHead(length: length, maxHead: 1024, maxURI: 64)
        #expect(head.uri == "/p" && head.value("host") == "h" && String(buffer: buffer) == "REST")
        // Oversized and garbage heads are refused by the same steps.
        var big = ByteBuffer(string: "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000))
        #expect(throws: RequestHeadError.self) { try big.rawRequestHeadLength(maxHead: 1024, maxURI: 64) }
        var garbage = ByteBuffer(string: "\u{01}\u{02} nonsense\r\n\r\n")
        let garbageLength = try #require(try garbage.rawRequestHeadLength(maxHead: 1024, maxURI: 64))
        #expect(throws: RequestHeadError.self) { try garbage.readRawRequestHead(length: garbageLength, maxHead: 1024, maxURI: 64) }
        #expect(garbage.readableBytes == garbageLength)  // nothing consumed on failure
        #expect(RawRequestHead.none.bytes.readableBytes == 0 && RawRequestHead.none.fields.isEmpty)
    }
}

@Suite struct RawResponseHeadTests {
    private func parse(_ text: String) throws(ResponseHeadError) -> RawResponseHead? {
        var buffer = ByteBuffer(string: text)
        return try buffer.readRawResponseHead(limit: 4096)
    }

    @Test func parsesAndFrames() throws {
        let head = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"))
        #expect(head.status == 200 && head.versionMinor == 1)
        let (framing, keepAlive) = try head.framing(requestMethod: .GET)
        #expect(framing == .contentLength(5) && keepAlive)
        #expect(try head.framing(requestMethod: .HEAD).framing == MessageFraming.none)
        let chunked = try #require(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(try chunked.framing(requestMethod: .GET).framing == .chunked)
        let closing = try #require(try parse("HTTP/1.0 200 OK\r\n\r\n"))
        #expect(try closing.framing(requestMethod: .GET) == (.untilClose, false))
        let noReason = try #require(try parse("HTTP/1.1 204\r\n\r\n"))
        #expect(noReason.status == 204)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    ])
    func badFramingIs502(text: String) throws {
        let head = try #require(try parse(text))
        do {
            _ = try head.framing(requestMethod: .GET)
            Issue.record("accepted")
        } catch {
            #expect(error.status == .badGateway)
        }
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\u{01}\r\n\r\n", "SSH-2.0-OpenSSH\r\n\r\n",
    ])
    func malformedHeads(text: String) {
        #expect(throws: ResponseHeadError.self) { try parse(text) }
    }

    @Test func clientHeadDropsHopByHopAndSetsFraming() throws {
        let head = try #require(try parse(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nServer: s\r\n\r\n"))
        var out = ByteBuffer()
        HeadWriters.writeClientResponse(head, into: &out, framing: .chunked, keepAlive: true, clientIsHTTP10: false)
        #expect(String(buffer: out) == "HTTP/1.1 200 OK\r\nServer: s\r\nTransfer-Encoding: chunked\r\n\r\n")
        out.clear()
        HeadWriters.writeClientResponse(head, into: &out, framing: .close, keepAlive: false, clientIsHTTP10: true)
        #expect(String(buffer: out) == "HTTP/1.1 200 OK\r\nServer: s\r\nConnection: close\r\n\r\n")
    }

    @Test func upstreamRequestHeadIsRewrittenInOnePass() throws {
        var buffer = ByteBuffer(string:
            "POST /p?q HTTP/1.1\r\nHost: app.test\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nX-Forwarded-For: 203.0.113.1\r\n"
            + "X-Forwarded-Proto: https\r\nContent-Length: 3\r\nExpect: 100-continue\r\nTE: trailers\r\nAccept: */*\r\n\r\n")
        let head = try #require(try buffer.readRawRequestHead(maxHead: 4096, maxURI: 1024))
        var out = ByteBuffer()
        HeadWriters.writeUpstreamRequest(
            head, into: &out, forwarded: ForwardedInfo(clientIP: "192.0.2.7", proto: "http", host: "app.test"), hostOverride: nil,
            defaultHost: "10.0.0.1:3000", keepUpgrade: false, framing: .contentLength(3), dropExpect: true)
        #expect(String(buffer: out) == "POST /p?q HTTP/1.1\r\nHost: app.test\r\nAccept: */*\r\n"
            + "X-Forwarded-For: 203.0.113.1, 192.0.2.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: app.test\r\n"
            + "Content-Length: 3\r\n\r\n")
    }

    @Test(arguments: [
        ("keep-alive", true, false, false, 0), ("Keep-Alive", true, false, false, 0), ("CLOSE", false, true, false, 0),
        ("keep-alive, Upgrade", true, false, true, 0), (" close ,x-a,, keep-alive", true, true, false, 1),
        ("keep-alivex", false, false, false, 1), ("clos", false, false, false, 1), ("", false, false, false, 0),
    ])
    func connectionTokens(value: String, keepAlive: Bool, close: Bool, upgrade: Bool, others: Int) {
        var tokens = ConnectionTokens()
        let bytes = Array(value.utf8)
        bytes.withUnsafeBytes { tokens.scan($0, 0..<bytes.count) }
        #expect(tokens.keepAlive == keepAlive && tokens.close == close && tokens.upgrade == upgrade && tokens.others.count == others)
    }

    @Test func lengthThenHead() throws {
        let text = "HTTP/1.1 204 No Content\r\nX: y\r\n\r\nNEXT"
        for end in 0..<(text.utf8.count - 4) {
            let partial = ByteBuffer(bytes: Array(text.utf8.prefix(end)))
            #expect(try partial.rawResponseHeadLength(limit: 1024) == nil)
        }
        var buffer = ByteBuffer(string: text)
        let length = try #require(try buffer.rawResponseHeadLength(limit: 1024))
        let head = try buffer.readRawResponseHead(length: length)
        #expect(head.status == 204 && head.fields.count == 1 && String(buffer: buffer) == "NEXT")
        let big = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 2000))
        #expect(throws: ResponseHeadError.self) { try big.rawResponseHeadLength(limit: 1024) }
        var garbage = ByteBuffer(string: "SMTP 220 hello\r\n\r\n")
        let garbageLength = try #require(try garbage.rawResponseHeadLength(limit: 1024))
        #expect(throws: ResponseHeadError.self) { try garbage.readRawResponseHead(length: garbageLength) }
        #expect(garbage.readableBytes == garbageLength)
    }
}

@Suite struct ChunkedTrackerTests {
    private func run(_ text: String, dripFed: Bool = false) throws -> (data: String, consumed: Int, done: Bool) {
        var tracker = ChunkedTracker()
        let bytes = Array(text.utf8)
        var data: [UInt8] = []
        var consumed = 0
        let step = dripFed ? 1 : bytes.count
        var offset = 0
        while offset < bytes.count, !tracker.isDone {
            let piece = Array(bytes[offset..<min(offset + step, bytes.count)])
            let used = try piece.withUnsafeBytes { raw in
                try tracker.consume(raw) { range in data += piece[range] }
            }
            consumed += used
            offset += piece.count
        }
        return (String(decoding: data, as: UTF8.self), consumed, tracker.isDone)
    }

    @Test(arguments: [false, true])
    func followsChunksExtensionsAndTrailers(dripFed: Bool) throws {
        let body = "5\r\nhello\r\n6;ext=1\r\n world\r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        let result = try run(body + "NEXT", dripFed: dripFed)
        #expect(result.data == "hello world0123456789" && result.done)
        if !dripFed { #expect(result.consumed == body.utf8.count) }
    }

    @Test(arguments: [
        "x\r\n", "\r\n", "5\r\nhelloX\r\n", "5\nhello\r\n", "11111111111111111\r\n", "5;\u{01}\r\n", "0\r\nbad\u{01}trailer\r\n\r\n",
        "0\r\n\rx",
    ])
    func malformedChunks(text: String) {
        #expect(throws: ChunkedTracker.Malformed.self) { try run(text) }
    }
}
