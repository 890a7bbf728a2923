import ArgumentParser
import WProxyConfig

/// Options every mode shares (SPEC "Options shared by every mode").
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("listen"), help: ArgumentHelp(
        "Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.",
        valueName: "addr"))
    var listen: [String] = []

    @Option(help: "Event-loop threads (default: number of cores).")
    var workers: Int?

    @Option(name: .customLong("max-connections"), help: "Concurrent client connections; beyond it new ones are closed at once.")
    var maxConnections: Int = 10000

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("Time to dial an upstream or destination.", valueName: "duration"))
    var connectTimeout: String = "5s"

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp(
        "Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).",
        valueName: "duration"))
    var idleTimeout: String?

    @Option(name: .customLong("upstream-proxy"), help: ArgumentHelp(
        "Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.",
        valueName: "url"))
    var upstreamProxy: [String] = []

    @Option(name: .customLong("drain-timeout"), help: ArgumentHelp(
        "On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.", valueName: "duration"))
    var drainTimeout: String = "10s"

    @Option(name: .customLong("access-log"), help: ArgumentHelp(
        "Access log: a file path, - for stdout, or off.", valueName: "path|-|off"))
    var accessLog: String = "-"

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://ADDR/metrics.", valueName: "addr"))
    var metrics: String?

    @Option(name: .customLong("log-level"), help: "Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "Diagnostics and access-log format: text or json.")
    var logFormat: String = "text"

    @Option(help: ArgumentHelp(
        "After binding every listener, drop to this user and its group, keeping only the capabilities still needed.",
        valueName: "name"))
    var user: String?

    /// Builds the global section and the shared part of one listener.
    func apply(mode: Mode, defaultListen: String?) throws -> (GlobalConfig, ListenerConfig) {
        var global = GlobalConfig()
        if let workers {
            guard (1...1024).contains(workers) else {
                throw ValidationError("--workers: must be from 1 to 1024, not \(workers)")
            }
            global.workers = workers
        }
        global.drainTimeout = try parseFlag("--drain-timeout", drainTimeout, DurationValue.parse)
        global.accessLog = try parseFlag("--access-log", accessLog, AccessLogTarget.init(parsing:))
        if let metrics { global.metrics = try parseFlag("--metrics", metrics, ListenAddress.init(parsing:)) }
        guard let level = LogLevel(rawValue: logLevel) else {
            throw ValidationError("--log-level: '\(logLevel)' is not one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        global.logLevel = level
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format: '\(logFormat)' is not one of text, json")
        }
        global.logFormat = format
        if let user {
            guard !user.isEmpty else { throw ValidationError("--user: the user name is empty") }
            global.user = user
        }

        let texts = listen.isEmpty ? defaultListen.map { [$0] } ?? [] : listen
        guard !texts.isEmpty else { throw ValidationError("--listen is required for \(mode.rawValue)") }
        var listener = ListenerConfig(mode: mode, listen: try texts.map { try parseFlag("--listen", $0, ListenAddress.init(parsing:)) })
        guard maxConnections >= 1 else { throw ValidationError("--max-connections: must be at least 1, not \(maxConnections)") }
        listener.maxConnections = maxConnections
        listener.connectTimeout = try parsePositive("--connect-timeout", connectTimeout)
        if let idleTimeout { listener.idleTimeout = try parsePositive("--idle-timeout", idleTimeout) }
        listener.upstreamProxies = try upstreamProxy.map { try parseFlag("--upstream-proxy", $0, ProxyURL.init(parsing:)) }
        return (global, listener)
    }
}

/// Runs a value parser and turns its error into a usage error naming the flag (exit 64).
func parseFlag<T>(_ flag: String, _ text: String, _ parser: (String) throws(ConfigValueError) -> T) throws -> T {
    do {
        return try parser(text)
    } catch {
        throw ValidationError("\(flag): \(error)")
    }
}

func parsePositive(_ flag: String, _ text: String) throws -> Duration {
    let value = try parseFlag(flag, text, DurationValue.parse)
    guard value > .zero else { throw ValidationError("\(flag): must be above 0") }
    return value
}
