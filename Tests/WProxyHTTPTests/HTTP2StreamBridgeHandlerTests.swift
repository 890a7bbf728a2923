import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing
@testable import WProxyHTTP

@Suite struct HTTP2StreamBridgeHandlerTests {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2StreamBridgeHandler(scheme: "https"))
        return channel
    }

    private func requestHeaders(_ extra: [(String, String)] = [], method: String = "GET", path: String = "/p?q=1") -> HPACKHeaders {
        HPACKHeaders([(":method", method), (":scheme", "https"), (":path", path), (":authority", "app.test")] + extra)
    }

    private func readText(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func headersOnlyRequestBecomesAnHTTP1Head() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(
            headers: requestHeaders([("cookie", "a=1"), ("user-agent", "t"), ("cookie", "b=2"), ("te", "trailers")]), endStream: true)))
        let text = try readText(channel)
        #expect(text.hasPrefix("GET /p?q=1 HTTP/1.1\r\nhost: app.test\r\n"))
        #expect(text.contains("user-agent: t\r\n"))
        #expect(text.contains("cookie: a=1; b=2\r\n"))
        #expect(text.contains("te: trailers\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(!text.contains("transfer-encoding"))
    }

    @Test func bodyWithoutLengthIsChunkedWithTrailers() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: requestHeaders(method: "POST"), endStream: false)))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "hello")))))
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders([("x-sum", "1")]), endStream: true)))
        let text = try readText(channel)
        #expect(text.contains("transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-sum: 1\r\n\r\n"))
    }

    @Test func bodyWithLengthPassesAsIs() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(
            headers: requestHeaders([("content-length", "5")], method: "PUT"), endStream: false)))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "hello")), endStream: true)))
        let text = try readText(channel)
        #expect(text.hasSuffix("content-length: 5\r\n\r\nhello"))
        // Nothing after the end of the request reaches the engine.
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")))))
        #expect(try readText(channel).isEmpty)
    }

    @Test func crlfInAValueResetsTheStream() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(
            headers: requestHeaders([("x-evil", "a\r\nx-injected: 1")]), endStream: true)))
        #expect(try readText(channel).isEmpty)
        let reset = try channel.readOutbound(as: HTTP2Frame.FramePayload.self)
        guard case .rstStream(.protocolError) = reset else {
            Issue.record("expected RST_STREAM PROTOCOL_ERROR, got \(String(describing: reset))")
            return
        }
    }

    @Test func responseBecomesHeadersAndData() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: requestHeaders(), endStream: true)))
        _ = try readText(channel)
        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"))
        try channel.writeOutbound(ByteBuffer(string: "2\r\nde\r\n0\r\n\r\n"))
        guard case .headers(let head) = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
            Issue.record("expected HEADERS")
            return
        }
        #expect(head.headers[":status"] == ["200"])
        #expect(head.headers["content-type"] == ["text/plain"])
        #expect(head.headers["connection"].isEmpty && head.headers["transfer-encoding"].isEmpty)
        #expect(!head.endStream)
        var body = ""
        var ended = false
        while let frame = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) {
            guard case .data(let data) = frame, case .byteBuffer(let bytes) = data.data else { continue }
            body += String(buffer: bytes)
            ended = ended || data.endStream
        }
        #expect(body == "abcde" && ended)
    }

    @Test func headResponseWithLengthEndsOnTheHeaders() throws {
        let channel = try channel()
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: requestHeaders(method: "HEAD"), endStream: true)))
        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
        guard case .headers(let head) = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
            Issue.record("expected HEADERS")
            return
        }
        #expect(head.endStream)
        #expect(head.headers["content-length"] == ["10"])
    }

    @Test func settingsRewrite() {
        var buffer = ByteBuffer(bytes: [0, 0, 12, 0x4, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 200, 0, 0x6, 0, 0, 0x80, 0])
        HTTP2SettingsRewriteHandler.rewrite(&buffer, maxConcurrentStreams: 100)
        #expect(Array(buffer.readableBytesView) == [0, 0, 12, 0x4, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 100, 0, 0x6, 0, 0, 0x80, 0])
        var other = ByteBuffer(bytes: [0, 0, 6, 0x8, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 200])  // not SETTINGS: untouched
        HTTP2SettingsRewriteHandler.rewrite(&other, maxConcurrentStreams: 100)
        #expect(other.getInteger(at: 14, as: UInt8.self) == 200)
        #expect(HTTP2StreamCounter.hardLimit(for: 100) == 200)
        #expect(HTTP2StreamCounter.hardLimit(for: 500) == 1000)
    }
}
