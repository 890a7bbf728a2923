import Testing
import WProxyConfig

@Suite struct ProxyURLTests {
    @Test(arguments: [
        ("http://127.0.0.1:3128", ProxyURL.Scheme.http, "127.0.0.1", 3128),
        ("http://proxy.example", .http, "proxy.example", 3128),
        ("HTTP://Proxy:8080/", .http, "Proxy", 8080),
        ("socks5://127.0.0.1:1080", .socks5, "127.0.0.1", 1080),
        ("socks5h://gw:9050", .socks5, "gw", 9050),
        ("socks5://[::1]:1081", .socks5, "::1", 1081),
        ("socks5://[::1]", .socks5, "::1", 1080),
        ("socks4://10.0.0.1:1080", .socks4, "10.0.0.1", 1080),
        ("socks4a://h", .socks4a, "h", 1080),
    ] as [(String, ProxyURL.Scheme, String, Int)])
    func parsesSchemesHostsAndPorts(text: String, scheme: ProxyURL.Scheme, host: String, port: Int) throws {
        let url = try ProxyURL(parsing: text)
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.username == nil)
        #expect(url.password == nil)
    }

    @Test func parsesAndPercentDecodesCredentials() throws {
        let url = try ProxyURL(parsing: "http://al%40ice:p%3Ass:w@rd@127.0.0.1:3128")
        #expect(url.username == "al@ice")
        #expect(url.password == "p:ss:w@rd")
        #expect(url.host == "127.0.0.1")

        let plain = try ProxyURL(parsing: "socks5://bob:secret@[::1]:1080")
        #expect(plain.username == "bob")
        #expect(plain.password == "secret")
        #expect(plain.host == "::1")

        let userOnly = try ProxyURL(parsing: "socks4://ident@h:1080")
        #expect(userOnly.username == "ident")
        #expect(userOnly.password == nil)

        let emptyPassword = try ProxyURL(parsing: "socks5://u:@h:1")
        #expect(emptyPassword.password == "")

        let unicode = try ProxyURL(parsing: "http://%C3%A9t%C3%A9:x@h:1")
        #expect(unicode.username == "été")
    }

    @Test func descriptionHidesThePassword() throws {
        let url = try ProxyURL(parsing: "http://bob:topsecret@[::1]:3128")
        #expect(url.description == "http://bob:***@[::1]:3128")
        #expect(!url.description.contains("topsecret"))
        #expect(try ProxyURL(parsing: "socks5://h:1").description == "socks5://h:1")
    }

    @Test(arguments: [
        "", "127.0.0.1:1080", "ftp://h:21", "socks://h:1", "http://", "http://:3128", "http://h:0",
        "http://h:70000", "http://h:x", "http://h/path", "http://h:1?q", "http://h:1#f", "http://@h:1",
        "http://:pw@h:1", "http://u%zz:p@h:1", "http://u:p%4@h:1", "http://u%FF:p@h:1", "socks5://::1:1080",
        "socks5://[::1:1080", "https://h:443", "http://a b:1",
    ])
    func rejectsBadInput(text: String) {
        #expect(throws: ConfigValueError.self) { try ProxyURL(parsing: text) }
    }

    @Test func errorsNeverShowThePassword() {
        for text in ["ftp://bob:hunter2@h:1", "http://bob:hunter2@h:99999", "http://bob:hunter2@h/x"] {
            do {
                _ = try ProxyURL(parsing: text)
                Issue.record("expected an error for \(text)")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
            }
        }
    }

    @Test func httpsHopsGetAClearMessage() {
        do {
            _ = try ProxyURL(parsing: "https://h:443")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("not supported"))
        }
    }
}
