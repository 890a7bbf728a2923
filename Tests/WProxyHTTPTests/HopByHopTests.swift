import NIOCore
import NIOHTTP1
import Testing
import WProxyHTTP

@Suite struct HopByHopTests {
    @Test func removesTheFixedListAndConnectionTokens() {
        var headers = HTTPHeaders([
            ("Host", "example.test"), ("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"), ("Proxy-Authorization", "Basic eA=="), ("TE", "trailers"),
            ("Trailer", "Expires"), ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"), ("X-Secret", "1"),
            ("Accept", "*/*"),
        ])
        headers.removeHopByHop()
        #expect(headers.map(\.name) == ["Host", "Accept"])
    }

    @Test func keepsUpgradeForTunnels() {
        var headers = HTTPHeaders([
            ("Host", "h"), ("Connection", "Upgrade, X-Drop"), ("Upgrade", "websocket"), ("X-Drop", "1"),
            ("Sec-WebSocket-Key", "k"),
        ])
        headers.removeHopByHop(keepUpgrade: true)
        #expect(headers["upgrade"] == ["websocket"])
        #expect(headers["connection"] == ["upgrade"])
        #expect(headers["x-drop"].isEmpty)
        #expect(headers["sec-websocket-key"] == ["k"])
    }

    @Test func errorResponseSaysWhatFailed() {
        let response = ErrorResponse(.badGateway, "upstream 127.0.0.1:1: connection refused")
        #expect(response.head.status == .badGateway)
        #expect(response.head.headers["content-length"] == [String(response.body.readableBytes)])
        #expect(response.head.headers["connection"] == ["close"])
        #expect(String(buffer: response.body) == "upstream 127.0.0.1:1: connection refused\n")
    }
}
