#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import WProxyDialer

/// Resolves a host name to socket addresses with `getaddrinfo`, off the event loops (on NIO's shared
/// thread pool). Used where the proxy must see the addresses before dialing: `--deny-dest` CIDR rules
/// for a domain destination, and UDP datagrams addressed to a domain. Failures are `DialError`s of kind
/// `.dnsFailure`, so they map to SOCKS reply `0x04` like the Dialer's own.
package struct HostResolver: Sendable {
    package typealias Lookup = @Sendable (_ host: String, _ port: Int, _ datagram: Bool) throws -> [SocketAddress]

    private let lookup: Lookup

    package init(lookup: @escaping Lookup) {
        self.lookup = lookup
    }

    package static let system = HostResolver(lookup: HostResolver.getaddrinfoLookup)

    package func resolve(host: String, port: Int, datagram: Bool = false, on eventLoop: any EventLoop)
        -> EventLoopFuture<[SocketAddress]>
    {
        let lookup = self.lookup
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            try lookup(host, port, datagram)
        }
    }

    @Sendable
    static func getaddrinfoLookup(host: String, port: Int, datagram: Bool) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32((datagram ? SOCK_DGRAM : SOCK_STREAM).rawValue)
        #else
        hints.ai_socktype = datagram ? SOCK_DGRAM : SOCK_STREAM
        #endif
        hints.ai_flags = AI_ADDRCONFIG
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            let detail = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw DialError(kind: .dnsFailure, target: "\(host):\(port)", detail: detail)
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sockaddr = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                    addresses.append(SocketAddress(address, host: host))
                case AF_INET6:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                    addresses.append(SocketAddress(address, host: host))
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw DialError(kind: .dnsFailure, target: "\(host):\(port)", detail: "no addresses")
        }
        return addresses
    }
}
