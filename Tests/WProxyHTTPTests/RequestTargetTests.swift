import NIOHTTP1
import Testing
import WProxyHTTP

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("http://example.com/a/b?q=1", "http", "example.com", 80, "/a/b?q=1", "example.com"),
        ("http://example.com", "http", "example.com", 80, "/", "example.com"),
        ("http://example.com?x", "http", "example.com", 80, "/?x", "example.com"),
        ("HTTP://Example.COM:8080/p", "http", "Example.COM", 8080, "/p", "Example.COM:8080"),
        ("http://127.0.0.1:80/", "http", "127.0.0.1", 80, "/", "127.0.0.1"),
        ("http://[::1]:8080/x", "http", "::1", 8080, "/x", "[::1]:8080"),
        ("http://[2001:db8::1]/", "http", "2001:db8::1", 80, "/", "[2001:db8::1]"),
        ("https://secure.test/", "https", "secure.test", 443, "/", "secure.test"),
        ("ws://chat.test:81/s", "ws", "chat.test", 81, "/s", "chat.test:81"),
    ] as [(String, String, String, Int, String, String)])
    func parsesAbsoluteForm(text: String, scheme: String, host: String, port: Int, path: String, hostHeader: String) throws {
        guard case .absolute(let target) = try RequestTarget(parsing: text, isConnect: false) else {
            Issue.record("not absolute-form: \(text)")
            return
        }
        #expect(target.scheme == scheme)
        #expect(target.host == host)
        #expect(target.port == port)
        #expect(target.path == path)
        #expect(target.hostHeader == hostHeader)
    }

    @Test func defaultPortsAndAuthorityKeys() throws {
        guard case .absolute(let plain) = try RequestTarget(parsing: "http://h/", isConnect: false),
            case .absolute(let tls) = try RequestTarget(parsing: "https://h/", isConnect: false),
            case .absolute(let v6) = try RequestTarget(parsing: "http://[::1]/", isConnect: false)
        else {
            Issue.record("not absolute-form")
            return
        }
        #expect(plain.port == 80 && plain.isPlain && plain.authority == "h:80")
        #expect(tls.port == 443 && !tls.isPlain)
        #expect(v6.authority == "[::1]:80")
    }

    @Test(arguments: [
        ("example.com:443", "example.com", 443), ("127.0.0.1:8443", "127.0.0.1", 8443), ("[::1]:22", "::1", 22),
    ] as [(String, String, Int)])
    func parsesAuthorityFormForConnect(text: String, host: String, port: Int) throws {
        #expect(try RequestTarget(parsing: text, isConnect: true) == .authority(host: host, port: port))
    }

    @Test func otherForms() throws {
        #expect(try RequestTarget(parsing: "/index.html?x=1", isConnect: false) == .origin("/index.html?x=1"))
        #expect(try RequestTarget(parsing: "*", isConnect: false) == .asterisk)
    }

    @Test(arguments: [
        "", "http://h/#frag", "http://h/p#", "http://user@h/", "http://user:pw@h/", "http://", "http:///path",
        "http://h:0/", "http://h:65536/", "http://h:x/", "http://h:/", "http://[::1/", "http://[::1]x/",
        "http://[nothex]/", "http://ho st/", "http://h\u{7F}/", "ftp://h/", "gopher://h/", "h/path", "://h/",
        "http://h/a b", "http://a_b$c/",
    ])
    func rejectsBadAbsoluteForm(text: String) {
        #expect(throws: RequestTargetError.self) { try RequestTarget(parsing: text, isConnect: false) }
    }

    @Test(arguments: ["example.com", "example.com:", ":443", "[::1]", "::1:443", "h:99999", "http://h:443", "u@h:443", "h:443/x"])
    func rejectsBadConnectTargets(text: String) {
        #expect(throws: RequestTargetError.self) { try RequestTarget(parsing: text, isConnect: true) }
    }

    @Test func fragmentMessageSaysWhy() {
        do {
            _ = try RequestTarget(parsing: "http://h/#x", isConnect: false)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("fragment"))
        }
    }
}

@Suite struct ForwardHeaderTests {
    @Test func viaIsAppendedAfterEarlierHops() {
        var headers = HTTPHeaders([("Via", "1.0 squid")])
        headers.addVia()
        #expect(headers["via"] == ["1.0 squid", "1.1 wproxy"])
        #expect(headers.hasViaFromWProxy)
        #expect(!HTTPHeaders([("Via", "1.1 other")]).hasViaFromWProxy)
    }

    @Test func chunkedIsDetectedOnlyAsTheLastCoding() {
        #expect(HTTPHeaders([("Transfer-Encoding", "chunked")]).isChunkedTransferEncoding)
        #expect(HTTPHeaders([("Transfer-Encoding", "gzip, Chunked")]).isChunkedTransferEncoding)
        #expect(!HTTPHeaders([("Transfer-Encoding", "chunked, gzip")]).isChunkedTransferEncoding)
        #expect(!HTTPHeaders([("Content-Length", "5")]).isChunkedTransferEncoding)
    }

    @Test func proxyRequestFilteringKeepsEndToEndHeaders() {
        var headers = HTTPHeaders([
            ("Host", "h"), ("Proxy-Authorization", "Basic x"), ("Proxy-Connection", "keep-alive"),
            ("Connection", "X-Drop, close"), ("X-Drop", "1"), ("TE", "trailers"), ("Accept", "*/*"),
        ])
        headers.removeHopByHop()
        headers.addVia()
        #expect(headers.map(\.name) == ["Host", "Accept", "Via"])
    }

    @Test func upgradeSurvivesWhenTunnelling() {
        var headers = HTTPHeaders([("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Proxy-Connection", "x")])
        headers.removeHopByHop(keepUpgrade: true)
        #expect(headers["upgrade"] == ["websocket"])
        #expect(headers["connection"] == ["upgrade"])
        #expect(!headers.contains(name: "proxy-connection"))
    }
}
