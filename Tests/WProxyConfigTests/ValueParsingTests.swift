import Testing
import WProxyConfig

@Suite struct ValueParsingTests {
    @Test(arguments: [("250ms", 250), ("5s", 5000), ("2m", 120_000), ("1h", 3_600_000), ("7", 7000), ("0s", 0)])
    func durations(text: String, millis: Int64) throws {
        #expect(try DurationValue.parse(text) == .milliseconds(millis))
    }

    @Test(arguments: ["", "s", "5x", "-5s", "1.5s", "5 s", "99999999999999h", "ms"])
    func badDurations(text: String) {
        #expect(throws: ConfigValueError.self) { try DurationValue.parse(text) }
    }

    @Test func formatsDurations() {
        #expect(DurationValue.format(.seconds(300)) == "5m")
        #expect(DurationValue.format(.milliseconds(250)) == "250ms")
        #expect(DurationValue.format(.seconds(10)) == "10s")
    }

    @Test(arguments: [("512", 512), ("8k", 8192), ("8K", 8192), ("1m", 1 << 20), ("2g", 2 << 30), ("0", 0)])
    func sizes(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "k", "1.5k", "-1", "8kb", "99999999999999999999g", "x"])
    func badSizes(text: String) {
        #expect(throws: ConfigValueError.self) { try ByteSize.parse(text) }
    }

    @Test func upstreams() throws {
        let plain = try UpstreamEndpoint(parsing: "10.0.0.1:5432")
        #expect(plain.address == HostPort(host: "10.0.0.1", port: 5432))
        #expect(plain.weight == 1 && !plain.backup)
        let weighted = try UpstreamEndpoint(parsing: "db.internal:5432,weight=3,backup")
        #expect(weighted.address.host == "db.internal")
        #expect(weighted.weight == 3 && weighted.backup)
        #expect(try UpstreamEndpoint(parsing: "[::1]:80").address.host == "::1")
    }

    @Test(arguments: ["", ",weight=2", "h:1,weight=0", "h:1,weight=x", "h:1,weight=1001", "h:1,heavy", "h", "h:0", ":80"])
    func badUpstreams(text: String) {
        #expect(throws: ConfigValueError.self) { try UpstreamEndpoint(parsing: text) }
    }

    @Test func sniRoutes() throws {
        let route = try SNIRoute(parsing: "*.Example.test=127.0.0.1:8443")
        #expect(route.pattern == "*.example.test")
        #expect(route.upstream == HostPort(host: "127.0.0.1", port: 8443))
        #expect(throws: ConfigValueError.self) { try SNIRoute(parsing: "example.test") }
        #expect(throws: ConfigValueError.self) { try SNIRoute(parsing: "=1.2.3.4:1") }
        #expect(throws: ConfigValueError.self) { try SNIRoute(parsing: "a.*.test=1.2.3.4:1") }
        #expect(throws: ConfigValueError.self) { try SNIRoute(parsing: "a.test=nohost") }
    }

    @Test func accessLogTargets() throws {
        #expect(try AccessLogTarget(parsing: "-") == .stdout)
        #expect(try AccessLogTarget(parsing: "off") == .off)
        #expect(try AccessLogTarget(parsing: "/var/log/x") == .file("/var/log/x"))
        #expect(throws: ConfigValueError.self) { try AccessLogTarget(parsing: "") }
    }
}
