import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyDialer

/// `wproxy transparent`: what every connection of one listener shares. Immutable; safe from
/// every event loop.
///
/// Each accepted connection is relayed to its original destination (see ``OriginalDestination``)
/// through the ``Dialer``, directly or through the `--upstream-proxy` chain the dialer was built
/// with, unless ``LoopGuard`` finds that the destination is this proxy itself.
package final class TransparentProxy: ConnectionAcceptor {
    let options: TransparentOptions
    let dialer: Dialer
    /// How destinations are reached, for the access log: `direct` or the chain of hops.
    let route: String
    let loopGuard: LoopGuard
    let idleTimeout: TimeAmount
    let accessLog: AccessLog?
    let logger: Logger

    /// Builds the dialer from the listener configuration, as every mode does, so that what the
    /// listener configures for dialing (connect timeout, upstream proxies) applies here too.
    package convenience init(listener: ListenerConfig, options: TransparentOptions, accessLog: AccessLog?, logger: Logger) {
        self.init(
            listener: listener, options: options, dialer: Dialer(connectTimeout: listener.connectTimeout, hops: listener.upstreamProxies),
            route: Self.routeDescription(listener), accessLog: accessLog, logger: logger)
    }

    package init(
        listener: ListenerConfig, options: TransparentOptions, dialer: Dialer, route: String,
        accessLog: AccessLog?, logger: Logger
    ) {
        self.options = options
        self.dialer = dialer
        self.route = route
        self.loopGuard = LoopGuard(listeners: Self.knownListenerEndpoints(listener.listen), tproxy: options.tproxy)
        self.idleTimeout = TimeAmount(listener.tunnelIdleTimeout)
        self.accessLog = accessLog
        self.logger = logger
    }

    package func initializeConnection(_ channel: any Channel) throws {
        try initialize(channel, handoff: nil)
    }

    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try initialize(channel, handoff: handoff)
    }

    private func initialize(_ channel: any Channel, handoff: TunnelHandoff?) throws {
        let sniff = options.sniff ? SniffHandler() : nil
        if let sniff { try channel.pipeline.syncOperations.addHandler(sniff) }
        // A sniffer watches the relayed bytes inside NIO, so sniffed tunnels stay there.
        let handoff = sniff == nil ? handoff : nil
        try channel.pipeline.syncOperations.addHandler(TransparentFrontHandler(proxy: self, sniff: sniff, handoff: handoff))
    }

    /// `direct`, or the hops in order (`http://a:3128>socks5://b:1080`, passwords never shown),
    /// for the access log's `route` key.
    static func routeDescription(_ listener: ListenerConfig) -> String {
        listener.upstreamProxies.isEmpty ? "direct" : listener.upstreamProxies.map(\.description).joined(separator: ">")
    }

    /// Configured listen addresses that are IP literals with a fixed port. The listener a
    /// connection arrived on is added per connection (it knows its real port even for port 0).
    static func knownListenerEndpoints(_ addresses: [ListenAddress]) -> [IPEndpoint] {
        addresses.flatMap { address -> [IPEndpoint] in
            guard address.port != 0 else { return [] }
            guard let host = address.host else {
                return [IPEndpoint(ip: "0.0.0.0", port: address.port), IPEndpoint(ip: "::", port: address.port)]
            }
            if host == "localhost" {
                return [IPEndpoint(ip: "127.0.0.1", port: address.port), IPEndpoint(ip: "::1", port: address.port)]
            }
            guard let literal = try? SocketAddress(ipAddress: host, port: address.port) else { return [] }
            return IPEndpoint(literal).map { [$0] } ?? []
        }
    }

    /// True when `ip` is assigned to one of this host's interfaces.
    static func isLocalAddress(_ ip: String) -> Bool {
        guard let devices = try? System.enumerateDevices() else { return false }
        return devices.contains { device in
            device.address.flatMap { IPEndpoint($0.withPort0()) }?.ip == IPEndpoint(ip: ip, port: 0).ip
        }
    }
}

extension SocketAddress {
    /// The same address with port 0, for devices whose addresses carry no port.
    fileprivate func withPort0() -> SocketAddress {
        var copy = self
        copy.port = 0
        return copy
    }
}
