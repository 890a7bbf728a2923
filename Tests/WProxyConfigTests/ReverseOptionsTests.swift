import Testing
import WProxyConfig

@Suite struct ReverseOptionsTests {
    @Test func parsesUpstreamURLs() throws {
        let plain = try HTTPUpstream(parsing: "http://127.0.0.1:3000")
        #expect(plain.address == HostPort(host: "127.0.0.1", port: 3000) && plain.weight == 1 && !plain.backup)
        #expect(plain.description == "http://127.0.0.1:3000" && plain.hostHeader == "127.0.0.1:3000")
        let weighted = try HTTPUpstream(parsing: "http://app.internal,weight=3,backup")
        #expect(weighted.address.port == 80 && weighted.weight == 3 && weighted.backup && weighted.hostHeader == "app.internal")
        let v6 = try HTTPUpstream(parsing: "http://[::1]:8080/")
        #expect(v6.address.host == "::1" && v6.hostHeader == "[::1]:8080")
        #expect(try HTTPUpstream(parsing: "https://h").address.port == 443)
    }

    @Test(arguments: [
        "127.0.0.1:3000", "ftp://h:1", "http://", "http://h:1/path", "http://h:1?x", "http://u:p@h:1", "http://h:0",
        "http://h:1,weight=0", "http://h:1,bogus", "http://::1:80",
    ])
    func rejectsBadUpstreams(text: String) {
        #expect(throws: ConfigValueError.self) { try HTTPUpstream(parsing: text) }
    }

    @Test func parsesHashKeys() throws {
        #expect(try HashKey(parsing: "header:X-User") == .header("x-user"))
        #expect(try HashKey(parsing: "cookie:sid") == .cookie("sid"))
        #expect(try HashKey(parsing: "query:u") == .query("u"))
        #expect(try HashKey(parsing: "path") == .path)
        for bad in ["", "header:", "body:x", "path:x", "header"] {
            #expect(throws: ConfigValueError.self) { try HashKey(parsing: bad) }
        }
    }

    @Test func validationNamesReverseProblems() {
        var listener = ListenerConfig(mode: .reverse, listen: [ListenAddress(host: "127.0.0.1", port: 8080)])
        var options = ReverseOptions()
        options.lb = .hash
        listener.reverse = options
        let errors = Configuration(listeners: [listener]).validationErrors()
        #expect(errors.contains { $0.contains("needs at least one upstream") })
        #expect(errors.contains { $0.contains("hash key") })
        listener.reverse = nil
        #expect(Configuration(listeners: [listener]).validationErrors().contains { $0.contains("missing reverse options") })
        var good = ReverseOptions()
        good.staticRoot = "/srv"
        listener.reverse = good
        #expect(Configuration(listeners: [listener]).validationErrors().isEmpty)
        #expect(listener.httpIdleTimeout == .seconds(60))
    }
}
