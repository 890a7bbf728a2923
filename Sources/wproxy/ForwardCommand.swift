import ArgumentParser
import WProxyConfig

struct ForwardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "HTTP forward proxy: absolute-form requests and CONNECT tunnels.",
        discussion: """
            Examples:
              wproxy forward                                  # 127.0.0.1:3128, no authentication
              curl -x http://127.0.0.1:3128 http://example.com/
              wproxy forward --listen :3128 --auth alice:secret --deny-dest 169.254.0.0/16
              wproxy forward --upstream-proxy socks5://127.0.0.1:1080   # everything through a SOCKS hop
            Listening beyond loopback needs --auth or --allow.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp(
        "Require Proxy-Authorization: Basic with this USER:PASS (missing or wrong: 407). Repeatable.",
        valueName: "user:pass"))
    var auth: [String] = []

    @Option(name: .customLong("auth-file"), help: ArgumentHelp(
        "Read more credentials from FILE: one user:password per line; # comments and blank lines are skipped.",
        valueName: "file"))
    var authFile: String?

    @Option(help: ArgumentHelp("Only clients in this network may use the proxy (others get 403). Repeatable.",
                               valueName: "cidr"))
    var allow: [String] = []

    @Option(name: .customLong("deny-dest"), help: ArgumentHelp(
        "Refuse destinations (403) in this network, or with this host name (exact or *.domain). Repeatable.",
        valueName: "cidr|host"))
    var denyDest: [String] = []

    @Option(name: .customLong("origin-pool-size"), help: ArgumentHelp(
        "Idle keep-alive connections kept per origin and worker for reuse across clients (0: no reuse).",
        valueName: "n"))
    var originPoolSize: Int = 64

    @Option(name: .customLong("origin-idle-timeout"), help: ArgumentHelp(
        "Close a pooled origin connection idle for this long.", valueName: "duration"))
    var originIdleTimeout: String = "30s"

    func configuration() throws -> Configuration {
        var (global, listener) = try common.apply(mode: .forward, defaultListen: "127.0.0.1:3128")
        var options = ForwardOptions()
        let access = try AccessFlags(auth: auth, authFile: authFile, allow: allow, denyDest: denyDest)
        (options.auth, options.allow, options.denyDest) = (access.auth, access.allow, access.denyDest)
        guard (0...10000).contains(originPoolSize) else {
            throw ValidationError("--origin-pool-size: must be from 0 to 10000, not \(originPoolSize)")
        }
        options.originPoolSize = originPoolSize
        options.originIdleTimeout = try parsePositive("--origin-idle-timeout", originIdleTimeout)
        try access.refuseOpenProxy(on: listener.listen)
        listener.forward = options
        return Configuration(global: global, listeners: [listener])
    }

    mutating func validate() throws {
        _ = try configuration()
    }

    func run() async throws {
        try await serve(configuration())
    }
}
