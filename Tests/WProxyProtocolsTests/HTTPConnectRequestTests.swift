import NIOCore
import Testing
import WProxyProtocols

@Suite struct HTTPConnectRequestTests {
    static func written(_ request: HTTPConnectRequest) -> String {
        var buffer = ByteBuffer()
        let count = buffer.writeHTTPConnectRequest(request)
        #expect(count == buffer.readableBytes)
        return String(buffer: buffer)
    }

    @Test func writesRequestLineAndHost() throws {
        let request = try HTTPConnectRequest(host: "example.test", port: 443)
        #expect(Self.written(request) == "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
    }

    @Test func writesBasicProxyAuthorization() throws {
        // The RFC 7617 example credentials.
        let request = try HTTPConnectRequest(
            host: "192.0.2.1", port: 8443,
            credentials: .init(username: "Aladdin", password: "open sesame")
        )
        #expect(
            Self.written(request)
                == "CONNECT 192.0.2.1:8443 HTTP/1.1\r\nHost: 192.0.2.1:8443\r\n"
                + "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"
        )
    }

    @Test func passwordsMayHoldColonsAndUTF8() throws {
        let request = try HTTPConnectRequest(
            host: "a.test", port: 1, credentials: .init(username: "u", password: "p:ä")
        )
        #expect(Self.written(request).contains("Proxy-Authorization: Basic dTpwOsOk\r\n"))
    }

    @Test(arguments: ["2001:db8::1", "[2001:db8::1]"])
    func ipv6HostsAreBracketed(_ host: String) throws {
        let request = try HTTPConnectRequest(host: host, port: 443)
        #expect(request.host == "2001:db8::1")
        #expect(request.authority == "[2001:db8::1]:443")
        #expect(Self.written(request) == "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n")
    }

    @Test(arguments: [
        "", "evil.test\r\nX-Injected: 1", "a b.test", "a.test:80", "[a.test]", "fe80::1%eth0", "ex\u{e4}mple.test",
        "a/b", "user@a.test", "[2001:db8::1", "2001:db8::zz", String(repeating: "a", count: 256),
    ])
    func invalidHostsThrow(_ host: String) {
        #expect(throws: HTTPConnectError.invalidHost, "\(host)") { try HTTPConnectRequest(host: host, port: 443) }
    }

    @Test(arguments: [0, -1, 65536])
    func invalidPortsThrow(_ port: Int) {
        #expect(throws: HTTPConnectError.invalidPort) { try HTTPConnectRequest(host: "a.test", port: port) }
    }

    @Test func userNameWithColonThrows() {
        #expect(throws: HTTPConnectError.invalidCredentials) {
            try HTTPConnectRequest(host: "a.test", port: 1, credentials: .init(username: "a:b", password: "c"))
        }
    }
}
