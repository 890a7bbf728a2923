import Testing
import WProxyConfig

@Suite struct ConfigurationValidationTests {
    private func tcpListener(_ listen: String, upstreams: [String] = ["127.0.0.1:9"]) throws -> ListenerConfig {
        var listener = ListenerConfig(mode: .tcp, listen: [try ListenAddress(parsing: listen)])
        var options = TCPOptions()
        options.upstreams = try upstreams.map { try UpstreamEndpoint(parsing: $0) }
        listener.tcp = options
        return listener
    }

    @Test func validConfigurationHasNoErrors() throws {
        let config = Configuration(listeners: [try tcpListener("127.0.0.1:0")])
        #expect(config.validationErrors().isEmpty)
    }

    @Test func reportsEveryProblemAtOnce() throws {
        var noUpstreams = try tcpListener("127.0.0.1:5000", upstreams: [])
        noUpstreams.maxConnections = 0
        let duplicate = try tcpListener("127.0.0.1:5000")
        var config = Configuration(listeners: [noUpstreams, duplicate])
        config.global.workers = 0
        let errors = config.validationErrors()
        #expect(errors.count == 4)
        #expect(errors.contains { $0.contains("workers") })
        #expect(errors.contains { $0.contains("needs at least one upstream") })
        #expect(errors.contains { $0.contains("already used by listener 1") })
        #expect(errors.contains { $0.contains("max-connections") })
    }

    @Test func emptyConfigurationIsInvalid() {
        #expect(Configuration(listeners: []).validationErrors() == ["no listeners"])
    }
}
