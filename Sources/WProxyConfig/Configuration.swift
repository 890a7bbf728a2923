/// The whole of what the user asked for: built by the CLI subcommands for one listener,
/// and (later) decoded from the TOML file for many. Everything downstream reads only this.
package struct Configuration: Sendable {
    package var global: GlobalConfig
    package var listeners: [ListenerConfig]

    package init(global: GlobalConfig = GlobalConfig(), listeners: [ListenerConfig]) {
        self.global = global
        self.listeners = listeners
    }
}

package struct GlobalConfig: Sendable {
    /// Event-loop threads; nil means one per core.
    package var workers: Int?
    package var logLevel: LogLevel = .info
    package var logFormat: LogFormat = .text
    package var accessLog: AccessLogTarget = .stdout
    /// `--metrics ADDR`: serve Prometheus metrics at http://ADDR/metrics.
    package var metrics: ListenAddress?
    /// How long in-flight requests and tunnels may run on after SIGTERM/SIGINT.
    package var drainTimeout: Duration = .seconds(10)
    /// `--user NAME`: after binding every listener, switch to this user and its group, keeping
    /// only the capabilities still needed. nil: stay as started.
    package var user: String?

    package init() {}
}

package enum Mode: String, Sendable, CaseIterable {
    case reverse, forward, socks, transparent, tcp
}

package enum LogLevel: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

package enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// `--access-log PATH|-|off`.
package enum AccessLogTarget: Hashable, Sendable {
    case stdout
    case off
    case file(String)

    package init(parsing text: String) throws(ConfigValueError) {
        switch text {
        case "-": self = .stdout
        case "off": self = .off
        case "": throw ConfigValueError("empty access log path: use a path, '-' or 'off'")
        default: self = .file(text)
        }
    }
}
