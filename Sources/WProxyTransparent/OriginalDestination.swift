#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore

/// Where a diverted client was really going.
package enum OriginalDestination {
    /// Why the destination could not be read.
    package struct Unavailable: Error, CustomStringConvertible {
        package let description: String
    }

    /// With `TPROXY` the accepted socket's local address is the destination; with `REDIRECT` the
    /// kernel's NAT record has it (`SO_ORIGINAL_DST` for IPv4, `IP6T_SO_ORIGINAL_DST` for IPv6).
    ///
    /// A dual-stack socket can carry an IPv4 connection (its local address is v4-mapped), so the
    /// family matching the local address is asked first and the other one second. Must be called
    /// on the channel's event loop, where the answer is immediate.
    package static func read(from channel: any Channel, tproxy: Bool) -> EventLoopFuture<IPEndpoint> {
        let eventLoop = channel.eventLoop
        guard let local = IPEndpoint(channel.localAddress) else {
            return eventLoop.makeFailedFuture(Unavailable(description: "the connection has no local IP address"))
        }
        if tproxy { return eventLoop.makeSucceededFuture(local) }
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return eventLoop.makeFailedFuture(Unavailable(description: "the channel has no socket"))
        }
        let ipv4 = { @Sendable () -> EventLoopFuture<IPEndpoint> in
            let future: EventLoopFuture<sockaddr_in> = provider.unsafeGetSocketOption(
                level: NIOBSDSocket.OptionLevel(rawValue: WPROXY_SOL_IP),
                name: NIOBSDSocket.Option(rawValue: WPROXY_SO_ORIGINAL_DST))
            return future.flatMapThrowing { try endpoint(SocketAddress($0)) }
        }
        let ipv6 = { @Sendable () -> EventLoopFuture<IPEndpoint> in
            let future: EventLoopFuture<sockaddr_in6> = provider.unsafeGetSocketOption(
                level: NIOBSDSocket.OptionLevel(rawValue: WPROXY_SOL_IPV6),
                name: NIOBSDSocket.Option(rawValue: WPROXY_IP6T_SO_ORIGINAL_DST))
            return future.flatMapThrowing { try endpoint(SocketAddress($0)) }
        }
        let (first, second) = local.isIPv6 ? (ipv6, ipv4) : (ipv4, ipv6)
        return first().flatMapError { firstError in
            second().flatMapErrorThrowing { _ in
                throw Unavailable(description: "no NAT record for this connection (\(describe(firstError)))")
            }
        }
        #else
        return eventLoop.makeFailedFuture(Unavailable(description: "SO_ORIGINAL_DST needs Linux"))
        #endif
    }

    private static func endpoint(_ address: SocketAddress) throws -> IPEndpoint {
        guard let endpoint = IPEndpoint(address), endpoint.port != 0, !endpoint.isUnspecified else {
            throw Unavailable(description: "the kernel returned no destination")
        }
        return endpoint
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
