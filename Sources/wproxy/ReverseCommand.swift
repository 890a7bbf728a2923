import ArgumentParser
import WProxyConfig

struct ReverseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse",
        abstract: "HTTP reverse proxy and load balancer, with WebSocket and static files.",
        discussion: """
            Examples:
              wproxy reverse --upstream http://127.0.0.1:3000 --upstream http://127.0.0.1:3001,weight=3
              wproxy reverse --static ./public
              wproxy reverse --static ./public --upstream http://127.0.0.1:3000 --health-check /healthz
              wproxy reverse --listen :443 --tls-cert site.pem --tls-key site.key --upstream http://127.0.0.1:3000
              wproxy reverse --listen :443 --acme example.com --acme-email ops@example.com --redirect-http :80 --upstream http://127.0.0.1:3000
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Upstream http(s)://HOST[:PORT][,weight=N][,backup]. Repeatable.", valueName: "url"))
    var upstream: [String] = []

    @Option(help: "Balancing policy: round-robin, least-conn, random, p2c, ip-hash, hash.")
    var lb: String = "round-robin"

    @Option(name: .customLong("hash-key"), help: ArgumentHelp(
        "Key for --lb hash: header:NAME, cookie:NAME, query:NAME or path.", valueName: "key"))
    var hashKey: String?

    @Option(name: .customLong("health-check"), help: ArgumentHelp(
        "Active health checks: GET PATH on each upstream; 2xx/3xx is healthy.", valueName: "path"))
    var healthCheck: String?

    @Option(name: .customLong("health-interval"), help: ArgumentHelp("Time between health checks.", valueName: "duration"))
    var healthInterval: String = "5s"

    @Option(help: "Other upstreams to try when a connect fails (or, for idempotent requests, on a reset before any response byte).")
    var retries: Int = 1

    @Option(name: .customLong("upstream-timeout"), help: ArgumentHelp(
        "Time to wait for an upstream's response head; then 504.", valueName: "duration"))
    var upstreamTimeout: String = "60s"

    @Option(name: .customLong("header-timeout"), help: ArgumentHelp(
        "Time a client has to send a whole request head; then the connection is closed.", valueName: "duration"))
    var headerTimeout: String = "10s"

    @Option(name: .customLong("max-header-size"), help: ArgumentHelp(
        "Request head (request line included) limit; over it → 431.", valueName: "size"))
    var maxHeaderSize: String = "32k"

    @Option(name: .customLong("max-uri-size"), help: ArgumentHelp("Request-target limit; over it → 414.", valueName: "size"))
    var maxURISize: String = "8k"

    @Option(name: .customLong("max-body"), help: ArgumentHelp("Request body limit; over it → 413 (default unlimited).", valueName: "size"))
    var maxBody: String?

    @Option(name: .customLong("static"), help: ArgumentHelp(
        "Serve files from DIR; with --upstream, existing files are served and everything else is proxied.", valueName: "dir"))
    var staticRoot: String?

    @Flag(name: .customLong("upstream-host"), help: "Send the upstream's host:port as Host instead of the client's.")
    var upstreamHost = false

    @OptionGroup(title: "TLS and HTTP/2") var tls: ReverseTLSOptions

    func configuration() throws -> Configuration {
        var (global, listener) = try common.apply(mode: .reverse, defaultListen: "127.0.0.1:8080")
        var options = ReverseOptions()
        options.upstreams = try upstream.map { try parseFlag("--upstream", $0, HTTPUpstream.init(parsing:)) }
        options.staticRoot = staticRoot
        guard !options.upstreams.isEmpty || staticRoot != nil else {
            throw ValidationError("--upstream: at least one is required (or --static DIR)")
        }
        guard let policy = BalancePolicyName(rawValue: lb) else {
            throw ValidationError("--lb: '\(lb)' is not one of \(BalancePolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.lb = policy
        if let hashKey {
            options.hashKey = try parseFlag("--hash-key", hashKey, HashKey.init(parsing:))
            guard policy == .hash else { throw ValidationError("--hash-key: only used with --lb hash") }
        } else if policy == .hash {
            throw ValidationError("--lb hash: needs --hash-key header:NAME, cookie:NAME, query:NAME or path")
        }
        if let healthCheck {
            guard healthCheck.hasPrefix("/") else {
                throw ValidationError("--health-check: '\(healthCheck)' is not a path (it must start with /)")
            }
            guard !options.upstreams.isEmpty else { throw ValidationError("--health-check: needs --upstream") }
            options.healthCheckPath = healthCheck
        }
        options.healthInterval = try parsePositive("--health-interval", healthInterval)
        guard (0...100).contains(retries) else { throw ValidationError("--retries: must be from 0 to 100, not \(retries)") }
        options.retries = retries
        options.upstreamTimeout = try parsePositive("--upstream-timeout", upstreamTimeout)
        options.headerTimeout = try parsePositive("--header-timeout", headerTimeout)
        options.maxHeaderSize = try parseFlag("--max-header-size", maxHeaderSize, ByteSize.parse)
        guard options.maxHeaderSize >= 1024 else { throw ValidationError("--max-header-size: must be at least 1k") }
        options.maxURISize = try parseFlag("--max-uri-size", maxURISize, ByteSize.parse)
        guard options.maxURISize >= 16 else { throw ValidationError("--max-uri-size: must be at least 16") }
        guard options.maxURISize <= options.maxHeaderSize else {
            throw ValidationError("--max-uri-size: must not exceed --max-header-size (the request line is part of the head)")
        }
        if let maxBody { options.maxBody = try parseFlag("--max-body", maxBody, ByteSize.parse) }
        if let staticRoot, staticRoot.isEmpty { throw ValidationError("--static: empty directory name") }
        options.upstreamHost = upstreamHost
        try tls.apply(to: &options)
        listener.reverse = options
        return Configuration(global: global, listeners: [listener]).withRedirectListeners()
    }

    mutating func validate() throws {
        _ = try configuration()
    }

    func run() async throws {
        try await serve(configuration())
    }
}
