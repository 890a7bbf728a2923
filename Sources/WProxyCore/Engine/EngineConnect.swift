#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore

/// An upstream connection that the tunnel engine finishes, so that a tunnel to an IP address never
/// needs a NIO channel on its upstream side.
///
/// Started by an engine session (`start`): one `socket` + `connect` that returns at once with the
/// connect in progress, and one `getsockname` for the local address (SOCKS reports it as BND.ADDR
/// in its success reply, before the connect completes). The session's `EngineTunnelStart` then
/// hands the socket to its engine loop, which waits for the connect to finish, writes the reply
/// that fits the outcome and relays.
///
/// A NIO `ClientBootstrap` connect costs a channel, a pipeline, several futures, five
/// `getsockname`/`getpeername` calls and five `epoll_ctl` calls on top of that; for a short SOCKS
/// session that was about a third of the proxy's CPU.
package enum EngineConnect {
    package enum Start {
        /// The connect is under way (or done). The socket is ours until it is handed to the engine.
        case started(fd: Int32, local: SocketAddress?)
        /// It failed at once (no route, no descriptors, ...): an errno.
        case failed(Int32)
    }

    /// Starts connecting to an IPv4 or IPv6 address. Nil when the engine is off or the address is
    /// not IP (the caller dials through NIO as before).
    package static func start(to address: SocketAddress) -> Start? {
        #if os(Linux)
        guard TunnelEngine.shared != nil else { return nil }
        switch address {
        case .v4, .v6: break
        case .unixDomainSocket: return nil
        }
        var error: Int32 = 0
        let fd = address.withSockAddr { pointer, length in
            wproxy_connect_start(pointer, UInt32(length), &error)
        }
        guard fd >= 0 else { return .failed(error) }
        return .started(fd: fd, local: localAddress(fd))
        #else
        return nil
        #endif
    }

    /// The socket's local address, without formatting its text (that is only needed for logs).
    private static func localAddress(_ fd: Int32) -> SocketAddress? {
        #if os(Linux)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return socketAddress(storage)
        #else
        return nil
        #endif
    }

    #if os(Linux)
    /// An IPv4 or IPv6 socket address as NIO's, without formatting its text (only logs need it).
    static func socketAddress(_ storage: sockaddr_storage) -> SocketAddress? {
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in.self), host: "") }
        case AF_INET6:
            return withUnsafeBytes(of: storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in6.self), host: "") }
        default:
            return nil
        }
    }
    #endif

    /// Closes a socket from `start` that was not handed to the engine.
    package static func abandon(_ fd: Int32) {
        closeDescriptor(fd)
    }
}

/// What the engine needs to finish a connect it was handed (see `EngineConnect`).
struct PendingConnect: Sendable {
    let timeoutMS: UInt64
    /// Written to the client once the connect succeeded (SOCKS's success reply).
    let successReply: [UInt8]
    /// The bytes to write to the client when the connect failed with this errno (`ETIMEDOUT` for
    /// the deadline); the client is closed after them.
    let failureReply: @Sendable (Int32) -> [UInt8]
}
