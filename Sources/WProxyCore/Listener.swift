#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WProxyConfig

/// The bound server sockets of one configured listener, and its open client connections.
///
/// The acceptor (the mode's configuration snapshot) can be replaced while serving: connections
/// accepted afterwards use the new one, connections already open keep the one they started with.
/// That is how a reload changes upstreams, routes or credentials without dropping anything.
package final class Listener: Sendable {
    package let mode: Mode
    package let tracker: ConnectionTracker
    package let serverChannels: [any Channel]
    private let acceptor: AcceptorBox
    /// Set when the tunnel engine accepts instead of NIO (the mode runs its handshake there).
    private let engineListening: EngineListening?

    private init(
        mode: Mode, tracker: ConnectionTracker, serverChannels: [any Channel], acceptor: AcceptorBox,
        engineListening: EngineListening?
    ) {
        self.mode = mode
        self.tracker = tracker
        self.serverChannels = serverChannels
        self.acceptor = acceptor
        self.engineListening = engineListening
    }

    /// The acceptor new connections get now.
    package var currentAcceptor: any ConnectionAcceptor { acceptor.current }

    /// New connections from now on are handled by `acceptor`.
    package func replaceAcceptor(_ acceptor: any ConnectionAcceptor) {
        self.acceptor.current = acceptor
    }

    /// Binds every address (all of them or none: on failure those already bound are closed).
    /// With `acceptNow` false the sockets listen (the kernel queues connections) but nothing is
    /// accepted until ``startAccepting()``, so that no connection is served before privileges are
    /// dropped. `transparent` sets IP_TRANSPARENT / IPV6_TRANSPARENT (TPROXY) before binding.
    package static func bind(
        addresses: [ListenAddress],
        mode: Mode,
        maxConnections: Int,
        group: any EventLoopGroup,
        acceptor: any ConnectionAcceptor,
        metrics: ListenerMetrics? = nil,
        transparent: Bool = false,
        acceptNow: Bool = true,
        logger: Logger
    ) async throws(ListenerBindError) -> Listener {
        let tracker = ConnectionTracker(limit: maxConnections, metrics: metrics)
        let box = AcceptorBox(acceptor)
        let handoff = TunnelHandoff(tracker: tracker, parking: ConnectionParking(tracker: tracker, box: box))
        // NIO never accepts on a socket the engine accepts on.
        let engineAccepts = (acceptor.engineSessions != nil || acceptor.engineDrivers != nil) && TunnelEngine.shared != nil
        // A fresh bootstrap per socket: the transparent option depends on the address family.
        let makeBootstrap = { @Sendable (transparentOption: ChannelOptions.Types.SocketOption?) -> ServerBootstrap in
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 1024)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.autoRead, value: acceptNow && !engineAccepts)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard tracker.admit(channel) else {
                            logger.debug("connection refused: max-connections reached", metadata: ["limit": "\(tracker.limit)"])
                            channel.close(promise: nil)
                            return
                        }
                        try box.current.initializeConnection(channel, handoff: handoff)
                    }
                }
            guard let transparentOption else { return bootstrap }
            return bootstrap.serverChannelOption(transparentOption, value: 1)
        }
        var channels: [any Channel] = []
        for address in addresses {
            do {
                channels.append(try await bind(makeBootstrap, address, transparent: transparent))
            } catch {
                for channel in channels { try? await channel.close() }
                throw ListenerBindError(address: address, reason: Self.describe(error))
            }
        }
        var engineListening: EngineListening?
        if engineAccepts {
            engineListening = EngineListening.make(
                serverChannels: channels, tracker: tracker, box: box, group: group, handoff: handoff)
            if engineListening == nil {
                logger.debug("tunnel engine cannot accept on these sockets; NIO accepts")
            }
        }
        let listener = Listener(
            mode: mode, tracker: tracker, serverChannels: channels, acceptor: box, engineListening: engineListening)
        if acceptNow, engineAccepts {
            do {
                try await listener.startAccepting()
            } catch {
                for channel in channels { try? await channel.close() }
                throw ListenerBindError(address: addresses[0], reason: Self.describe(error))
            }
        }
        return listener
    }

    private static func bind(
        _ makeBootstrap: (ChannelOptions.Types.SocketOption?) -> ServerBootstrap, _ address: ListenAddress,
        transparent: Bool
    ) async throws -> any Channel {
        // IP_TRANSPARENT / IPV6_TRANSPARENT (TPROXY): set before bind, needs CAP_NET_ADMIN.
        let ipv4Option = transparent ? ChannelOptions.Types.SocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: WPROXY_SOL_IP), name: NIOBSDSocket.Option(rawValue: WPROXY_IP_TRANSPARENT)) : nil
        let ipv6Option = transparent ? ChannelOptions.Types.SocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: WPROXY_SOL_IPV6), name: NIOBSDSocket.Option(rawValue: WPROXY_IPV6_TRANSPARENT)) : nil
        if let host = address.host {
            let socketAddress = try SocketAddress.makeAddressResolvingHost(host, port: address.port)
            let option: ChannelOptions.Types.SocketOption?
            if case .v6 = socketAddress { option = ipv6Option } else { option = ipv4Option }
            return try await makeBootstrap(option).bind(to: socketAddress).get()
        }
        // Every interface: one dual-stack IPv6 socket, or IPv4 alone where IPv6 is unavailable.
        do {
            return try await makeBootstrap(ipv6Option).bind(host: "::", port: address.port).get()
        } catch {
            return try await makeBootstrap(ipv4Option).bind(host: "0.0.0.0", port: address.port).get()
        }
    }

    /// Starts accepting on sockets bound with `acceptNow: false`.
    package func startAccepting() async throws {
        if let engineListening {
            engineListening.start()
            return
        }
        for channel in serverChannels {
            try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        }
    }

    /// Logs `listening on HOST:PORT (MODE)` for each bound address. Called once serving has started
    /// (signal handlers installed), because scripts and tests treat this line as "ready".
    package func logListening(_ logger: Logger) {
        for channel in serverChannels {
            logger.info("listening on \(Self.format(channel.localAddress)) (\(mode.rawValue))")
        }
    }

    /// Stops accepting; open connections are left alone.
    package func stopAccepting() async {
        await engineListening?.stop()
        for channel in serverChannels { try? await channel.close() }
    }

    package var localAddresses: [SocketAddress] { serverChannels.compactMap(\.localAddress) }

    /// Stops accepting, lets open connections finish for up to `timeout`, then closes the rest.
    package func drain(timeout: Duration, logger: Logger) async {
        await stopAccepting()
        tracker.quiesceAll()  // HTTP connections idle between requests close now
        let open = tracker.count
        if open > 0 {
            logger.info("draining \(open) connections (up to \(timeout))", metadata: ["mode": "\(mode.rawValue)"])
        }
        let tracker = self.tracker
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tracker.waitUntilEmpty() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            tracker.closeAll()
            group.cancelAll()
        }
    }

    /// `HOST:PORT`, with IPv6 in brackets.
    package static func format(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "?" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    package static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        return "\(error)"
    }
}

package struct ListenerBindError: Error, CustomStringConvertible {
    package let address: ListenAddress
    package let reason: String
    package var description: String { "cannot listen on \(address): \(reason)" }

    package init(address: ListenAddress, reason: String) {
        self.address = address
        self.reason = reason
    }

    package init(address: ListenAddress, error: any Error) {
        self.init(address: address, reason: Listener.describe(error))
    }
}

/// The current acceptor of a listener; read once per accepted connection.
final class AcceptorBox: Sendable {
    private let value: Mutex<any ConnectionAcceptor>

    init(_ acceptor: any ConnectionAcceptor) {
        value = Mutex(acceptor)
    }

    var current: any ConnectionAcceptor {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
