import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyLoadBalancing

/// `wproxy reverse`: everything one listener's connections share, and the mode's answers to the
/// engine's ``ProxyPhases`` questions. Immutable; safe from every event loop.
package final class ReverseProxy: ConnectionAcceptor, ProxyPhases {
    let options: ReverseOptions
    /// Sites and routes, each route with its own upstream group and static directory.
    let router: ReverseRouter
    let settings: HTTPEngineSettings
    /// `settings` for the HTTP lane (one shared reference per lane).
    let laneSettings: LaneSettings
    let accessLog: AccessLog?
    let logger: Logger
    let threadPool: NIOThreadPool?
    package let retries: Int

    /// - Parameter previous: the instance this one replaces on reload; upstreams still configured
    ///   (with the same health check) keep their health state.
    package init(
        listener: ListenerConfig, options: ReverseOptions, accessLog: AccessLog?, logger: Logger, previous: ReverseProxy? = nil
    ) throws {
        self.options = options
        self.accessLog = accessLog
        self.logger = logger
        self.retries = options.retries
        var threadPool: NIOThreadPool?
        var fileIO: NonBlockingFileIO?
        let sites = options.effectiveSites
        if sites.contains(where: { $0.routes.contains { $0.staticRoot != nil } }) {
            let pool = NIOThreadPool(numberOfThreads: 2)
            pool.start()
            threadPool = pool
            fileIO = NonBlockingFileIO(threadPool: pool)
        }
        do {
            var upstreamOptions = options
            upstreamOptions.upstreams = sites.flatMap { $0.routes.flatMap(\.upstreams) }
            router = try ReverseRouter(
                options: options, security: try Self.upstreamSecurity(upstreamOptions), previous: previous?.router,
                makeStatic: { root in try StaticFileServer(root: root, threadPool: threadPool!) })
        } catch {
            try? threadPool?.syncShutdownGracefully()
            throw error
        }
        self.threadPool = threadPool
        settings = HTTPEngineSettings(
            headerTimeout: TimeAmount(options.headerTimeout), idleTimeout: TimeAmount(listener.httpIdleTimeout),
            upstreamTimeout: TimeAmount(options.upstreamTimeout), tunnelIdleTimeout: TimeAmount(listener.tunnelIdleTimeout),
            maxHeaderSize: options.maxHeaderSize, maxURISize: options.maxURISize, maxBody: options.maxBody, scheme: options.tls.server == nil ? "http" : "https",
            sendUpstreamHost: options.upstreamHost, dialer: Dialer(connectTimeout: listener.connectTimeout, hops: listener.upstreamProxies), pools: UpstreamPools(), fileIO: fileIO)
        laneSettings = LaneSettings(settings)
    }

    package func initializeConnection(_ channel: any Channel) throws {
        try HTTP1ProxyHandler.configure(channel: channel, settings: settings, phases: self)
    }

    /// Plain HTTP: idle keep-alive connections can be parked in the tunnel engine.
    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try HTTP1ProxyHandler.configure(channel: channel, settings: settings, phases: self, parking: handoff.parking)
    }

    // MARK: ProxyPhases

    package func requestFilter(_ head: RawRequestHead, eventLoop: any EventLoop) -> RequestFilterDecision {
        guard let route = router.route(for: head) else {
            let answer = ErrorResponse(.notFound, "no site for this host", close: false)
            return .local(eventLoop.makeSucceededFuture(LocalResponse(head: answer.head, body: .buffer(answer.body))))
        }
        guard let staticFiles = route.staticFiles else { return .proxy }
        let stripped = route.policy.stripPrefix.map { head.rewritten(target: RoutePolicy.strip($0, from: head.uri), edits: HeaderEdits()) }
        let lookup = staticFiles.lookup(stripped ?? head, eventLoop: eventLoop)
        let edits = route.policy.responseEdits
        guard !edits.isEmpty else { return .local(lookup) }
        return .local(lookup.map { response in
            guard var response else { return nil }
            edits.apply(to: &response.head.headers)
            return response
        })
    }

    package func upstreamPeer(_ head: RawRequestHead, clientAddress: SocketAddress?, tried: TriedUpstreams) -> PeerDecision {
        guard let route = router.route(for: head) else { return .noUpstreams }
        let group = route.group
        guard !group.peers.isEmpty else { return .noUpstreams }
        let key: SelectionKey
        switch route.config.lb {
        case .hash:
            key = route.config.hashKey.map { HashKeyExtractor.key($0, head: head) } ?? .none
        case .ipHash:
            key = Self.addressKey(clientAddress)
        case .roundRobin, .leastConn, .random, .p2c:
            key = .none
        }
        guard let backend = group.pick(key: key, tried: tried) else { return .noneAvailable }
        return .peer(group.peers[backend.id])
    }

    /// The client's address as `ip-hash` hashes it (its text form, as `tcp` mode does).
    static func addressKey(_ address: SocketAddress?) -> SelectionKey {
        address?.ipAddress.map { .clientAddress(Array($0.utf8)) } ?? .none
    }

    package func upstreamResult(_ peer: UpstreamPeer, success: Bool) {
        guard let group = router.route(of: peer)?.group else { return }
        if let transition = group.health.record(peer.id - group.firstID, success: success) {
            ListenerMetrics.setUpstreamHealthy(peer.name, transition == .becameHealthy)
            switch transition {
            case .becameHealthy: logger.notice("upstream \(peer.name) is healthy again")
            case .becameUnhealthy: logger.warning("upstream \(peer.name) failed twice in a row and is out of rotation")
            }
        }
    }

    package func requestAssigned(_ peer: UpstreamPeer, active: Bool) {
        guard let group = router.route(of: peer)?.group else { return }
        if active {
            group.counts.opened(peer.id - group.firstID)
        } else {
            group.counts.closed(peer.id - group.firstID)
        }
    }

    package var logsRequests: Bool { accessLog != nil }

    /// Plain keep-alive connections may be served by the engine lane (`HTTPLane`).
    package var allowsLane: Bool { true }

    /// Plain-HTTP listeners with upstreams: the engine accepts and starts every connection in the
    /// lane (a static-only listener would only hand each connection on to NIO).
    package var engineDrivers: (any EngineDriverFactory)? {
        guard options.tls.server == nil, HTTP1ProxyHandler.laneEnabled,
            router.allRoutes.contains(where: { !$0.group.peers.isEmpty })
        else { return nil }
        return HTTPLaneFactory(settings: laneSettings, phases: self)
    }

    /// The lane serves a request only when a route takes it and proxies it (no static files,
    /// no 404 for an unknown site or path: NIO answers those).
    package func laneProxies(_ head: RawRequestHead) -> Bool {
        guard let route = router.route(for: head) else { return false }
        return route.staticFiles == nil
    }

    package func logging(_ record: ProxyAccessRecord) {
        guard let accessLog else { return }
        accessLog.log([
            ("time", Timestamp.now()), ("mode", "reverse"), ("client", record.client), ("method", record.method),
            ("host", record.host), ("path", record.path), ("status", String(record.status)), ("upstream", record.upstream),
            ("bytes_in", String(record.bytesIn)), ("bytes_out", String(record.bytesOut)),
            ("duration", Self.seconds(record.duration)),
            ("upstream_duration", record.upstreamDuration.map(Self.seconds) ?? "-"),
        ])
    }

    /// Seconds with millisecond precision, without Foundation.
    static func seconds(_ amount: TimeAmount) -> String {
        let millis = max(amount.nanoseconds, 0) / 1_000_000
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    // MARK: Services

    /// Background work this listener needs (active health checks; the static thread pool's stop).
    package func services(eventLoopGroup: any EventLoopGroup) -> [any Service] {
        var services: [any Service] = []
        if let threadPool { services.append(ThreadPoolService(pool: threadPool)) }
        for route in router.allRoutes {
            let group = route.group
            for peer in group.peers { ListenerMetrics.setUpstreamHealthy(peer.name, group.health.isHealthy(peer.id - group.firstID)) }
            guard let path = route.config.healthCheckPath, !group.peers.isEmpty else { continue }
            services.append(healthCheckService(route: route, path: path, eventLoopGroup: eventLoopGroup))
        }
        return services
    }

    private func healthCheckService(route: RouteRuntime, path: String, eventLoopGroup: any EventLoopGroup) -> HealthCheckService {
        let logger = self.logger
        let group = route.group
        let peers = group.peers
        let probeTimeout = TimeAmount(min(route.config.upstreamTimeout, .seconds(10))) + settings.dialer.connectTimeout
        let checker = HealthChecker(
            backends: group.backends,
            table: group.health,
            probe: HTTPHealthProbe(
                peers: peers, path: path, dialer: settings.dialer, timeout: probeTimeout, eventLoopGroup: eventLoopGroup),
            interval: route.config.healthInterval,
            clock: ContinuousClock(),
            onTransition: { backend, transition in
                let name = peers[backend.id].name
                ListenerMetrics.setUpstreamHealthy(name, transition == .becameHealthy)
                switch transition {
                case .becameHealthy: logger.notice("upstream \(name) is healthy again")
                case .becameUnhealthy: logger.warning("upstream \(name) failed its health checks and is out of rotation")
                }
            }
        )
        return HealthCheckService(checker: checker)
    }
}

/// Runs a listener's active health checks until shutdown.
struct HealthCheckService: Service {
    let checker: HealthChecker<ContinuousClock>

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await checker.run()
        }
    }
}

/// Keeps the static-file thread pool for the listener's life and stops it on shutdown.
struct ThreadPoolService: Service {
    let pool: NIOThreadPool

    func run() async throws {
        try? await gracefulShutdown()
        try? await pool.shutdownGracefully()
    }
}
