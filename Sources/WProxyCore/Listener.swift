#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import WProxyConfig

/// The bound server sockets of one configured listener, and its open client connections.
package final class Listener: Sendable {
    package let mode: Mode
    package let tracker: ConnectionTracker
    package let serverChannels: [any Channel]

    private init(mode: Mode, tracker: ConnectionTracker, serverChannels: [any Channel]) {
        self.mode = mode
        self.tracker = tracker
        self.serverChannels = serverChannels
    }

    /// Binds every address (all of them or none: on failure those already bound are closed)
    /// and logs `listening on HOST:PORT (MODE)` for each. With `acceptNow` false the sockets
    /// listen (the kernel queues connections) but nothing is accepted until ``startAccepting()``,
    /// so that no connection is served before privileges are dropped.
    package static func bind(
        addresses: [ListenAddress],
        mode: Mode,
        maxConnections: Int,
        group: any EventLoopGroup,
        acceptor: any ConnectionAcceptor,
        transparent: Bool = false,
        acceptNow: Bool = true,
        logger: Logger
    ) async throws(ListenerBindError) -> Listener {
        let tracker = ConnectionTracker(limit: maxConnections)
        // A fresh bootstrap per socket: the transparent option depends on the address family.
        let makeBootstrap = { @Sendable (transparentOption: ChannelOptions.Types.SocketOption?) -> ServerBootstrap in
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 1024)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(ChannelOptions.autoRead, value: acceptNow)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard tracker.admit(channel) else {
                            logger.debug(
                                "connection refused: max-connections reached", metadata: ["limit": "\(maxConnections)"])
                            channel.close(promise: nil)
                            return
                        }
                        try acceptor.initializeConnection(channel)
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
        for channel in channels {
            logger.info("listening on \(Self.format(channel.localAddress)) (\(mode.rawValue))")
        }
        return Listener(mode: mode, tracker: tracker, serverChannels: channels)
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
        for channel in serverChannels {
            try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        }
    }

    /// Stops accepting; open connections are left alone.
    package func stopAccepting() async {
        for channel in serverChannels { try? await channel.close() }
    }

    package var localAddresses: [SocketAddress] { serverChannels.compactMap(\.localAddress) }

    /// `HOST:PORT`, with IPv6 in brackets.
    package static func format(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "?" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    static func describe(_ error: any Error) -> String {
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
}
