import NIOCore
import NIOPosix
import WProxyCore

/// The one way every mode reaches a destination.
///
/// The new channel lives on the caller's event loop (so a relay needs no thread hops), has
/// `autoRead` off (nothing is read and dropped before the caller installs its handlers) and
/// `allowRemoteHalfClosure` on. Host names are resolved off the event loop and tried over
/// IPv6 and IPv4 with Happy Eyeballs (RFC 8305, NIO's implementation); IP literals skip resolution.
package struct Dialer: Sendable {
    package let connectTimeout: TimeAmount

    package init(connectTimeout: Duration) {
        self.connectTimeout = TimeAmount(connectTimeout)
    }

    private func bootstrap(on eventLoop: any EventLoop) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
    }

    /// Connects to `host:port`; failures are `DialError`s that say why (DNS, refused, timeout...).
    package func connect(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let connecting: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connecting = bootstrap(on: eventLoop).connect(to: address)
        } else {
            connecting = bootstrap(on: eventLoop).connect(host: host, port: port)
        }
        return connecting.flatMapErrorThrowing { error in
            throw DialError(target: target, classifying: error)
        }
    }

    package func connect(to address: SocketAddress, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        bootstrap(on: eventLoop).connect(to: address).flatMapErrorThrowing { error in
            throw DialError(target: "\(address)", classifying: error)
        }
    }
}
