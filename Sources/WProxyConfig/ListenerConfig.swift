/// One listener: where it binds, the options every mode shares, and its mode's own options.
package struct ListenerConfig: Sendable {
    package var mode: Mode
    /// A name for metrics and logs; defaults to the first listen address.
    package var name: String?
    package var listen: [ListenAddress]
    package var maxConnections: Int = 10000
    package var connectTimeout: Duration = .seconds(5)
    /// `--upstream-proxy`, in order: every destination is dialed through this chain of hops (empty = direct).
    package var upstreamProxies: [ProxyURL] = []
    /// nil means the mode's default: 300s for tunnels, 60s for HTTP keep-alive.
    package var idleTimeout: Duration?
    package var tcp: TCPOptions?
    package var transparent: TransparentOptions?
    package var socks: SOCKSOptions?
    package var forward: ForwardOptions?
    package var reverse: ReverseOptions?

    package init(mode: Mode, listen: [ListenAddress]) {
        self.mode = mode
        self.listen = listen
    }

    /// The `listener` label in metrics.
    package var displayName: String { name ?? listen.first?.description ?? mode.rawValue }

    /// The idle timeout in force for tunnels of this listener.
    package var tunnelIdleTimeout: Duration { idleTimeout ?? .seconds(300) }

    /// The idle timeout in force for HTTP keep-alive connections of this listener.
    package var httpIdleTimeout: Duration { idleTimeout ?? .seconds(60) }
}

/// `wproxy tcp` options.
package struct TCPOptions: Sendable {
    package var upstreams: [UpstreamEndpoint] = []
    package var lb: BalancePolicyName = .roundRobin
    /// `--health-check tcp`: probe each upstream with a TCP connect.
    package var healthCheck: Bool = false
    package var healthInterval: Duration = .seconds(5)
    package var retries: Int = 1
    package var sni: [SNIRoute] = []
    package var proxyProtocol: ProxyProtocolVersion?
    /// How long to wait for a TLS ClientHello when routing by SNI.
    package var handshakeTimeout: Duration = .seconds(10)

    package init() {}
}

/// `--lb` values. The load-balancing library has the implementations; this is only the user's choice.
package enum BalancePolicyName: String, Sendable, CaseIterable {
    case roundRobin = "round-robin", leastConn = "least-conn", random, p2c, ipHash = "ip-hash", hash
}

package enum ProxyProtocolVersion: String, Sendable, CaseIterable {
    case v1, v2
}
