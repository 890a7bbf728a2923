import Logging
import NIOCore
import ServiceLifecycle
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyLoadBalancing
import WProxyProtocols

/// `wproxy tcp`: everything one listener's connections share. Immutable; safe from every event loop.
package final class TCPProxy: ConnectionAcceptor {
    let options: TCPOptions
    let upstreams: UpstreamGroup
    let sniRoutes: [(pattern: HostPattern, upstream: HostPort)]
    let dialer: Dialer
    let idleTimeout: TimeAmount
    let handshakeTimeout: TimeAmount
    let accessLog: AccessLog?
    let logger: Logger

    /// - Parameter previous: the instance this one replaces on reload; upstreams still configured keep
    ///   their health state.
    package init(
        listener: ListenerConfig, options: TCPOptions, accessLog: AccessLog?, logger: Logger, previous: TCPProxy? = nil
    ) {
        self.options = options
        self.upstreams = UpstreamGroup(endpoints: options.upstreams, policy: options.lb)
        if let previous {
            for (id, endpoint) in options.upstreams.enumerated() {
                if let old = previous.upstreams.endpoints.firstIndex(where: { $0.address == endpoint.address }) {
                    upstreams.health.inherit(id, from: previous.upstreams.health, id: old)
                }
            }
        }
        self.sniRoutes = options.sni.map { (HostPattern($0.pattern), $0.upstream) }
        self.dialer = Dialer(connectTimeout: listener.connectTimeout, hops: listener.upstreamProxies)
        self.idleTimeout = TimeAmount(listener.tunnelIdleTimeout)
        self.handshakeTimeout = TimeAmount(options.handshakeTimeout)
        self.accessLog = accessLog
        self.logger = logger
    }

    package func initializeConnection(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(TCPFrontHandler(proxy: self, handoff: nil))
    }

    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try channel.pipeline.syncOperations.addHandler(TCPFrontHandler(proxy: self, handoff: handoff))
    }

    /// Background work this listener needs (active health checks).
    package func services(eventLoopGroup: any EventLoopGroup) -> [any Service] {
        guard options.healthCheck, !upstreams.endpoints.isEmpty else { return [] }
        let logger = self.logger
        let endpoints = upstreams.endpoints
        for endpoint in endpoints { ListenerMetrics.setUpstreamHealthy(endpoint.address.description, true) }
        let checker = HealthChecker(
            backends: upstreams.backends,
            table: upstreams.health,
            probe: TCPConnectProbe(group: upstreams, dialer: dialer, eventLoopGroup: eventLoopGroup),
            interval: options.healthInterval,
            clock: ContinuousClock(),
            onTransition: { backend, transition in
                let name = endpoints[backend.id].address.description
                ListenerMetrics.setUpstreamHealthy(name, transition == .becameHealthy)
                switch transition {
                case .becameHealthy: logger.notice("upstream \(name) is healthy again")
                case .becameUnhealthy: logger.warning("upstream \(name) failed its health checks and is out of rotation")
                }
            }
        )
        return [HealthCheckService(checker: checker)]
    }

    /// The SNI route for a server name, if any matches (first match wins, in the order given).
    func route(serverName: String) -> HostPort? {
        sniRoutes.first { $0.pattern.matches(serverName) }?.upstream
    }
}
