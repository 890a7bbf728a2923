import ArgumentParser
import WProxyConfig

struct TCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcp",
        abstract: "Plain L4 TCP proxy and load balancer, with optional routing by TLS SNI.",
        discussion: """
            Example: wproxy tcp --listen :5432 --upstream 10.0.0.1:5432 --upstream 10.0.0.2:5432
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Upstream HOST:PORT[,weight=N][,backup]. Repeatable.", valueName: "upstream"))
    var upstream: [String] = []

    @Option(help: "Balancing policy: round-robin, least-conn, random, p2c, ip-hash.")
    var lb: String = "round-robin"

    @Option(name: .customLong("health-check"), help: ArgumentHelp("Active health checks: tcp (a TCP connect).", valueName: "tcp"))
    var healthCheck: String?

    @Option(name: .customLong("health-interval"), help: ArgumentHelp("Time between health checks.", valueName: "duration"))
    var healthInterval: String = "5s"

    @Option(help: "Other upstreams to try when a connect fails.")
    var retries: Int = 1

    @Option(help: ArgumentHelp("Route TLS by SNI without terminating it: HOST=UPSTREAM (HOST may be *.domain). Repeatable.",
                               valueName: "host=upstream"))
    var sni: [String] = []

    @Option(name: .customLong("proxy-protocol"), help: "Send a PROXY protocol header upstream: v1 or v2.")
    var proxyProtocol: String?

    @Option(name: .customLong("handshake-timeout"), help: ArgumentHelp(
        "With --sni, how long a client has to send its TLS ClientHello.", valueName: "duration"))
    var handshakeTimeout: String = "10s"

    func configuration() throws -> Configuration {
        var (global, listener) = try common.apply(mode: .tcp, defaultListen: nil)
        var options = TCPOptions()
        options.upstreams = try upstream.map { try parseFlag("--upstream", $0, UpstreamEndpoint.init(parsing:)) }
        options.sni = try sni.map { try parseFlag("--sni", $0, SNIRoute.init(parsing:)) }
        guard !options.upstreams.isEmpty || !options.sni.isEmpty else {
            throw ValidationError("--upstream: at least one is required (or --sni routes)")
        }
        guard let policy = BalancePolicyName(rawValue: lb), policy != .hash else {
            throw ValidationError("--lb: '\(lb)' is not one of round-robin, least-conn, random, p2c, ip-hash")
        }
        options.lb = policy
        if let healthCheck {
            guard healthCheck == "tcp" else { throw ValidationError("--health-check: tcp mode supports only 'tcp', not '\(healthCheck)'") }
            options.healthCheck = true
        }
        options.healthInterval = try parsePositive("--health-interval", healthInterval)
        guard (0...100).contains(retries) else { throw ValidationError("--retries: must be from 0 to 100, not \(retries)") }
        options.retries = retries
        if let proxyProtocol {
            guard let version = ProxyProtocolVersion(rawValue: proxyProtocol) else {
                throw ValidationError("--proxy-protocol: '\(proxyProtocol)' is not v1 or v2")
            }
            options.proxyProtocol = version
        }
        options.handshakeTimeout = try parsePositive("--handshake-timeout", handshakeTimeout)
        listener.tcp = options
        return Configuration(global: global, listeners: [listener])
    }

    mutating func validate() throws {
        _ = try configuration()
    }

    func run() async throws {
        try await serve(configuration())
    }
}
