import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyProtocols

/// `wproxy socks`: everything one listener's connections share. Immutable; safe from every event loop.
package final class SOCKSProxy: ConnectionAcceptor, EngineSessionFactory {
    let options: SOCKSOptions
    let denyRules: DestinationRules
    let dialer: Dialer
    let resolver: HostResolver
    /// Tunnel idle timeout (`--idle-timeout`, default 300s): relays, UDP associations, and a BIND waiting for its peer.
    let idleTimeout: TimeAmount
    package let handshakeTimeout: TimeAmount
    let machineConfiguration: SOCKSServerStateMachine.Configuration
    let accessLog: AccessLog?
    let logger: Logger
    private let passwords: [String: [[UInt8]]]

    package init(
        listener: ListenerConfig, options: SOCKSOptions, accessLog: AccessLog?, logger: Logger,
        resolver: HostResolver = .system
    ) {
        self.options = options
        self.denyRules = DestinationRules(options.denyDest)
        self.dialer = Dialer(connectTimeout: listener.connectTimeout, hops: listener.upstreamProxies)
        self.resolver = resolver
        self.idleTimeout = TimeAmount(listener.tunnelIdleTimeout)
        self.handshakeTimeout = TimeAmount(options.handshakeTimeout)
        self.machineConfiguration = SOCKSServerStateMachine.Configuration(authRequired: !options.auth.isEmpty)
        self.accessLog = accessLog
        self.logger = logger
        var passwords: [String: [[UInt8]]] = [:]
        for credential in options.auth {
            passwords[credential.user, default: []].append(Array(credential.password.utf8))
        }
        self.passwords = passwords
    }

    package func initializeConnection(_ channel: any Channel) throws {
        try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveAllocator)
        try channel.pipeline.syncOperations.addHandler(SOCKSFrontHandler(proxy: self, handoff: nil))
    }

    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveAllocator)
        try channel.pipeline.syncOperations.addHandler(SOCKSFrontHandler(proxy: self, handoff: handoff))
    }

    /// The tunnel engine accepts SOCKS clients and runs their handshakes (`SOCKSEngineSession`).
    package var engineSessions: (any EngineSessionFactory)? { self }

    package func makeSession(client: SocketAddress?) -> any EngineSessionHandler {
        SOCKSEngineSession(proxy: self, client: client)
    }

    /// NIO keeps each channel's last receive buffer for reuse, so an idle tunnel holds one buffer per side
    /// at the size the allocator last chose. Starting small (SOCKS handshakes are under 600 bytes) keeps idle
    /// tunnels light; the allocator still grows to 64 KiB within a few reads of a bulk transfer.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536)

    /// RFC 1929 check. The password comparison takes the same time wherever the first difference is.
    func verify(user: String, password: String) -> Bool {
        guard let candidates = passwords[user] else { return false }
        let given = Array(password.utf8)
        var matched = false
        for expected in candidates where expected.count == given.count {
            var difference: UInt8 = 0
            for index in expected.indices { difference |= expected[index] ^ given[index] }
            matched = matched || difference == 0
        }
        return matched
    }
}
