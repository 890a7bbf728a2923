import NIOCore
import Testing
import WProxyHTTP
@testable import WProxyReverse

@Suite struct SiteRoutingTests {
    @Test func exactBeatsWildcardBeatsDefault() {
        let matcher = SiteMatcher(hosts: [["*.example.test"], ["app.example.test"], [], ["*.deep.example.test"]])
        #expect(matcher.site(for: "app.example.test") == 1)
        #expect(matcher.site(for: "APP.Example.Test.") == 1)
        #expect(matcher.site(for: "app.example.test:8443") == 1)
        #expect(matcher.site(for: "x.example.test") == 0)
        #expect(matcher.site(for: "a.b.example.test") == 0)
        #expect(matcher.site(for: "x.deep.example.test") == 3)  // the longest wildcard wins
        #expect(matcher.site(for: "example.test") == 2)  // *.domain does not match the bare domain
        #expect(matcher.site(for: "other.test") == 2)
        #expect(matcher.site(for: nil) == 2)
        #expect(matcher.site(for: "[::1]:8080") == 2)
    }

    @Test func noMatchAndNoDefaultIsNil() {
        let matcher = SiteMatcher(hosts: [["a.test"], ["*.b.test"]])
        #expect(matcher.site(for: "c.test") == nil)
        #expect(matcher.site(for: nil) == nil)
        #expect(SiteMatcher(hosts: [["*"]]).site(for: "anything") == 0)
        #expect(SiteMatcher(hosts: [["[::1]"]]).site(for: "[::1]:80") == 0)
    }

    @Test func longestPathPrefixAtSegmentBoundaries() {
        let matcher = PathMatcher(paths: ["/", "/api", "/api/v2/", "/static/"])
        #expect(matcher.route(for: "/") == 0)
        #expect(matcher.route(for: "/api") == 1)
        #expect(matcher.route(for: "/api/users") == 1)
        #expect(matcher.route(for: "/apix") == 0)
        #expect(matcher.route(for: "/api/v2/x") == 2)
        #expect(matcher.route(for: "/api/v2") == 1)  // "/api/v2/" needs its slash
        #expect(matcher.route(for: "/static/a.css") == 3)
        #expect(PathMatcher(paths: ["/a"]).route(for: "/b") == nil)
    }

    @Test func pathAndAuthorityOfTargets() {
        #expect(PathMatcher.path(of: "/a/b?x=1") == "/a/b")
        #expect(PathMatcher.path(of: "http://h:1/a?x") == "/a")
        #expect(PathMatcher.path(of: "http://h:1") == "/")
        #expect(PathMatcher.authority(of: "http://h:1/a") == "h:1")
        #expect(PathMatcher.authority(of: "/a") == nil)
    }

    @Test func stripPrefixKeepsALeadingSlashAndTheQuery() {
        #expect(RoutePolicy.strip("/api/", from: "/api/users?x=1") == "/users?x=1")
        #expect(RoutePolicy.strip("/api", from: "/api/users") == "/users")
        #expect(RoutePolicy.strip("/api", from: "/api") == "/")
        #expect(RoutePolicy.strip("/api", from: "/api?x=1") == "/?x=1")
        #expect(RoutePolicy.strip("/api/", from: "/api/") == "/")
        #expect(RoutePolicy.strip("/api", from: "/apix") == "/apix")
    }

    @Test func requestAndResponseHeadEditsReserialise() throws {
        var buffer = ByteBuffer(string: "GET /api/x?q=1 HTTP/1.1\r\nHost: a\r\nX-Secret: s\r\nX-A: old\r\nX-Keep: k\r\n\r\n")
        let head = try #require(try buffer.readRawRequestHead(maxHead: 1 << 16, maxURI: 1 << 12))
        let policy = RoutePolicy(
            retries: 1, upstreamTimeout: .seconds(1), stripPrefix: "/api/",
            requestEdits: HeaderEdits(add: [("X-A", "new")], remove: ["x-secret"]), responseEdits: HeaderEdits(add: [("X-R", "1")], remove: ["Server"]))
        let out = policy.upstreamHead(head)
        #expect(out.uri == "/x?q=1")
        #expect(out.value("x-secret") == nil && out.values("x-a") == ["new"] && out.value("x-keep") == "k" && out.value("host") == "a")
        var response = ByteBuffer(string: "HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Length: 0\r\n\r\n")
        let raw = try #require(try response.readRawResponseHead(limit: 1 << 16))
        let edited = policy.clientHead(raw)
        #expect(edited.status == 200)
        let names = edited.fields.map { String(decoding: edited.name($0), as: UTF8.self) }
        #expect(names == ["Content-Length", "X-R"])
    }
}
