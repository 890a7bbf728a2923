import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP

/// `wproxy forward`: everything one listener's connections share. Immutable apart from the per-loop
/// origin pools, which are created once per event loop under a lock and then used only on that loop.
package final class ForwardProxy: ConnectionAcceptor {
    let options: ForwardOptions
    let dialer: Dialer
    let denyDest: DestinationRules
    /// `--auth` users and their passwords, for one lookup per request.
    let passwords: [String: String]
    let keepAliveTimeout: TimeAmount
    let tunnelIdleTimeout: TimeAmount
    let accessLog: AccessLog?
    let logger: Logger
    private let pools = Mutex<[ObjectIdentifier: NIOLoopBound<OriginPool>]>([:])

    package init(listener: ListenerConfig, options: ForwardOptions, accessLog: AccessLog?, logger: Logger) {
        self.options = options
        self.dialer = Dialer(connectTimeout: listener.connectTimeout, hops: listener.upstreamProxies)
        self.denyDest = DestinationRules(options.denyDest)
        self.passwords = Dictionary(options.auth.map { ($0.user, $0.password) }, uniquingKeysWith: { first, _ in first })
        self.keepAliveTimeout = TimeAmount(listener.httpIdleTimeout)
        self.tunnelIdleTimeout = TimeAmount(listener.tunnelIdleTimeout)
        self.accessLog = accessLog
        self.logger = logger
    }

    var requiresAuth: Bool { !options.auth.isEmpty }

    package func initializeConnection(_ channel: any Channel) throws {
        try initialize(channel, handoff: nil)
    }

    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try initialize(channel, handoff: handoff)
    }

    private func initialize(_ channel: any Channel, handoff: TunnelHandoff?) throws {
        let pool = originPool(for: channel.eventLoop)
        let allowed = options.allow.isEmpty || options.allowsClient(channel.remoteAddress?.ipAddress)
        let sync = channel.pipeline.syncOperations
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let encoder = HTTPResponseEncoder(configuration: .noFraming)
        try sync.addHandler(decoder)
        try sync.addHandler(encoder)
        try sync.addHandler(ForwardHandler(
            proxy: self, pool: pool, clientAllowed: allowed, requestDecoder: decoder, responseEncoder: encoder,
            handoff: handoff))
    }

    /// The origin pool of `eventLoop`, made on first use. Called on that loop.
    func originPool(for eventLoop: any EventLoop) -> OriginPool {
        let id = ObjectIdentifier(eventLoop)
        return pools.withLock { pools in
            if let existing = pools[id] { return existing.value }
            let pool = OriginPool(
                eventLoop: eventLoop, maxIdlePerKey: options.originPoolSize,
                idleTimeout: TimeAmount(options.originIdleTimeout))
            pools[id] = NIOLoopBound(pool, eventLoop: eventLoop)
            return pool
        }
    }
}

extension HTTPResponseEncoder.Configuration {
    /// The proxy frames bodies itself (it knows how the origin framed them).
    static var noFraming: Self {
        var configuration = Self()
        configuration.automaticallySetFramingHeaders = false
        return configuration
    }
}

extension HTTPRequestEncoder.Configuration {
    static var noFraming: Self {
        var configuration = Self()
        configuration.automaticallySetFramingHeaders = false
        return configuration
    }
}

extension ForwardProxy {
    /// `--deny-dest` networks checked against the address actually connected to (a name that resolved
    /// into a denied network). Through upstream proxies only names and literals can be checked.
    func refusal(connectedTo channel: any Channel) -> String? {
        guard dialer.hops.isEmpty, denyDest.hasNetworkRules,
            let ip = channel.remoteAddress?.ipAddress, let address = IPAddress(ip),
            let rule = denyDest.denying(address)
        else { return nil }
        return "wproxy: destination \(ip) is denied (--deny-dest \(rule))"
    }
}
