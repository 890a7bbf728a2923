import Testing
import WProxyConfig

@Suite struct SOCKSOptionsTests {
    private func socks(_ listen: [String], auth: Bool = false, allow: Bool = false) throws -> Configuration {
        var listener = ListenerConfig(mode: .socks, listen: try listen.map(ListenAddress.init(parsing:)))
        var options = SOCKSOptions()
        if auth { options.auth = [try Credential(parsing: "u:p")] }
        if allow { options.allow = [try CIDR(parsing: "10.0.0.0/8")] }
        listener.socks = options
        return Configuration(listeners: [listener])
    }

    @Test func loopbackNeedsNoACL() throws {
        for listen in ["127.0.0.1:1080", "localhost:1080", "[::1]:1080", "127.1.2.3:0"] {
            #expect(try socks([listen]).validationErrors().isEmpty, "\(listen)")
        }
    }

    @Test func openProxyIsRefusedWithTheExactMessage() throws {
        let cases = [
            ("0.0.0.0:1080", "0.0.0.0:1080"), (":1080", "[::]:1080"), ("1080", "[::]:1080"),
            ("[::]:1080", "[::]:1080"), ("192.0.2.1:1080", "192.0.2.1:1080"),
        ]
        for (listen, shown) in cases {
            let errors = try socks([listen]).validationErrors()
            #expect(errors == ["listener 1 (socks): refusing to run an open proxy on \(shown): pass --auth USER:PASS or --allow CIDR"])
            #expect(Configuration.openProxyRefusal(listen: [try ListenAddress(parsing: listen)], hasAuth: false, hasAllow: false)
                == "refusing to run an open proxy on \(shown): pass --auth USER:PASS or --allow CIDR")
        }
        #expect(try socks(["127.0.0.1:1080", "0.0.0.0:1081"]).validationErrors().count == 1)
    }

    @Test func authOrAllowPermitsEveryInterface() throws {
        #expect(try socks(["0.0.0.0:1080"], auth: true).validationErrors().isEmpty)
        #expect(try socks([":1080"], allow: true).validationErrors().isEmpty)
    }

    @Test func missingOptionsAndBadTimeout() throws {
        var configuration = try socks(["127.0.0.1:1080"])
        configuration.listeners[0].socks?.handshakeTimeout = .zero
        #expect(configuration.validationErrors() == ["listener 1 (socks): handshake-timeout must be above 0"])
        configuration.listeners[0].socks = nil
        #expect(configuration.validationErrors() == ["listener 1 (socks): missing socks options"])
    }

    @Test func allowList() throws {
        var options = SOCKSOptions()
        #expect(options.allowsClient("203.0.113.1"))
        #expect(options.allowsClient(nil))
        options.allow = [try CIDR(parsing: "127.0.0.0/8"), try CIDR(parsing: "::1")]
        #expect(options.allowsClient("127.0.0.1"))
        #expect(options.allowsClient("::ffff:127.0.0.1"))
        #expect(options.allowsClient("::1"))
        #expect(!options.allowsClient("10.0.0.1"))
        #expect(!options.allowsClient(nil))
        #expect(!options.allowsClient("garbage"))
    }
}
