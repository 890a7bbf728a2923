import Testing
import WProxyConfig

@Suite struct TransparentOptionsTests {
    @Test func portLists() throws {
        let list = try PortList(parsing: "80,443,8000-8100")
        #expect(list.ranges == [.init(low: 80, high: 80), .init(low: 443, high: 443), .init(low: 8000, high: 8100)])
        #expect(list.description == "80,443,8000-8100")
        #expect(try PortList(parsing: "1-65535").ranges == [.init(low: 1, high: 65535)])
    }

    @Test(arguments: ["", ",", "80,", "0", "65536", "http", "90-80", "1-2-3", "-5", "80 443"])
    func badPortLists(text: String) {
        #expect(throws: ConfigValueError.self) { try PortList(parsing: text) }
    }

    @Test func transparentListenerNeedsItsOptionsAndOnlyThere() {
        var transparent = ListenerConfig(mode: .transparent, listen: [ListenAddress(host: "127.0.0.1", port: 12345)])
        #expect(Configuration(listeners: [transparent]).validationErrors() == [
            "listener 1 (transparent): missing transparent options",
        ])
        transparent.transparent = TransparentOptions(tproxy: true, sniff: true)
        #expect(Configuration(listeners: [transparent]).validationErrors().isEmpty)

        var tcp = ListenerConfig(mode: .tcp, listen: [ListenAddress(host: "127.0.0.1", port: 1)])
        var options = TCPOptions()
        options.upstreams = [UpstreamEndpoint(address: HostPort(host: "127.0.0.1", port: 2))]
        tcp.tcp = options
        tcp.transparent = TransparentOptions()
        #expect(Configuration(listeners: [tcp]).validationErrors() == [
            "listener 1 (tcp): transparent options on a tcp listener",
        ])
    }

    @Test func emptyUserIsInvalid() {
        var global = GlobalConfig()
        global.user = ""
        var listener = ListenerConfig(mode: .transparent, listen: [ListenAddress(host: "127.0.0.1", port: 12345)])
        listener.transparent = TransparentOptions()
        #expect(Configuration(global: global, listeners: [listener]).validationErrors() == ["user must not be empty"])
    }
}
