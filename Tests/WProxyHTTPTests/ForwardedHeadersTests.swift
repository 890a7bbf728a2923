import NIOCore
import NIOHTTP1
import Testing
import WProxyHTTP

@Suite struct ForwardedHeadersTests {
    private func rewrite(
        _ pairs: [(String, String)], clientIP: String? = "192.0.2.7", host: String? = "app.test",
        override: String? = nil, keepUpgrade: Bool = false
    ) -> HTTPHeaders {
        var headers = HTTPHeaders(pairs)
        headers.rewriteForUpstream(
            ForwardedInfo(clientIP: clientIP, proto: "http", host: host), hostOverride: override,
            defaultHost: "10.0.0.1:3000", keepUpgrade: keepUpgrade)
        return headers
    }

    @Test func addsForwardingHeadersAndKeepsHost() {
        let headers = rewrite([("Host", "app.test"), ("Accept", "*/*")])
        #expect(headers["host"] == ["app.test"])
        #expect(headers["x-forwarded-for"] == ["192.0.2.7"])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-host"] == ["app.test"])
        #expect(headers["accept"] == ["*/*"])
    }

    @Test func appendsToEveryExistingForwardedFor() {
        let headers = rewrite([("Host", "app.test"), ("X-Forwarded-For", "203.0.113.1"), ("x-forwarded-for", "198.51.100.2, 10.1.1.1")])
        #expect(headers["x-forwarded-for"] == ["203.0.113.1, 198.51.100.2, 10.1.1.1, 192.0.2.7"])
    }

    @Test func replacesClientSuppliedProtoAndHost() {
        let headers = rewrite([("Host", "app.test"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.test")])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-host"] == ["app.test"])
    }

    @Test func removesHopByHopAndConnectionNamedHeaders() {
        let headers = rewrite([
            ("Host", "app.test"), ("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "timeout=5"), ("X-Secret", "1"),
            ("TE", "trailers"), ("Trailer", "x"), ("Proxy-Authorization", "Basic eA=="), ("Proxy-Connection", "close"),
            ("Upgrade", "h2c"), ("Transfer-Encoding", "chunked"), ("X-Kept", "yes"),
        ])
        #expect(Set(headers.map { $0.name.lowercased() }) == ["host", "x-kept", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"])
    }

    @Test func keepsUpgradeForWebSocket() {
        let headers = rewrite([("Host", "h"), ("Connection", "Upgrade"), ("Upgrade", "websocket")], keepUpgrade: true)
        #expect(headers["upgrade"] == ["websocket"])
        #expect(headers["connection"] == ["upgrade"])
    }

    @Test func upstreamHostOverridesAndHTTP10GetsTheUpstreamsHost() {
        #expect(rewrite([("Host", "app.test")], override: "10.0.0.1:3000")["host"] == ["10.0.0.1:3000"])
        let noHost = rewrite([("Accept", "*/*")], host: nil)
        #expect(noHost["host"] == ["10.0.0.1:3000"])
        #expect(noHost["x-forwarded-host"].isEmpty)
    }

    @Test func responseHopByHopFilterInOnePass() {
        let headers = HTTPHeaders([
            ("Content-Length", "5"), ("Connection", "close, X-Internal"), ("X-Internal", "1"), ("Keep-Alive", "timeout=1"),
            ("Server", "s"),
        ]).withoutHopByHop()
        #expect(headers.map { $0.name } == ["Content-Length", "Server"])
    }
}
