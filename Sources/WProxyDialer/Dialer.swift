import NIOCore
import NIOPosix
import WProxyCore
import WProxyConfig

/// The one way every mode reaches a destination: directly, or through a chain of upstream proxies.
///
/// The new channel lives on the caller's event loop (so a relay needs no thread hops), has
/// `autoRead` off (nothing is read and dropped before the caller installs its handlers) and
/// `allowRemoteHalfClosure` on. Host names are resolved off the event loop and tried over
/// IPv6 and IPv4 with Happy Eyeballs (RFC 8305, NIO's implementation); IP literals skip resolution.
///
/// With `hops` (`--upstream-proxy`, in order), the dialer connects to the first hop, asks each hop in
/// turn for a tunnel to the next (SOCKS5/4/4a or HTTP CONNECT) and the last hop for the destination,
/// which it names as the caller gave it (so the last hop resolves names). `connectTimeout` covers the whole
/// chain. The caller gets the same kind of channel as for a direct connection, with no handler of ours
/// left in it — except when the last hop sent bytes after its reply (the destination spoke first) or
/// closed at once: then one handler stays until the caller's first `read()` and hands those bytes and that
/// EOF to the caller's handlers before removing itself (see `HopHandshakeHandler`). A hop's refusal is a
/// `DialError` of the matching kind (`.refused`, `.notAllowed`, `.proxyAuthRequired`, ...).
package struct Dialer: Sendable {
    package let connectTimeout: TimeAmount
    package let hops: [ProxyURL]

    package init(connectTimeout: Duration, hops: [ProxyURL] = []) {
        self.connectTimeout = TimeAmount(connectTimeout)
        self.hops = hops
    }

    private func bootstrap(on eventLoop: any EventLoop, timeout: TimeAmount) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
    }

    /// Connects to `host:port`; failures are `DialError`s that say why (DNS, refused, timeout, a hop's refusal...).
    package func connect(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        if hops.isEmpty {
            return connectDirect(host: host, port: port, on: eventLoop, timeout: connectTimeout)
        }
        if eventLoop.inEventLoop {
            return connectThroughChain(host: host, port: port, on: eventLoop)
        }
        return eventLoop.flatSubmit { self.connectThroughChain(host: host, port: port, on: eventLoop) }
    }

    /// Connects to an address (transparent mode's original destination); through the chain when there is one.
    package func connect(to address: SocketAddress, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        if !hops.isEmpty, let ip = address.ipAddress, let port = address.port {
            return connect(host: ip, port: port, on: eventLoop)
        }
        return bootstrap(on: eventLoop, timeout: connectTimeout).connect(to: address).flatMapErrorThrowing { error in
            throw DialError(target: "\(address)", classifying: error)
        }
    }

    private func connectDirect(host: String, port: Int, on eventLoop: any EventLoop, timeout: TimeAmount)
        -> EventLoopFuture<any Channel>
    {
        let target = HostPort(host: host, port: port).description
        let connecting: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connecting = bootstrap(on: eventLoop, timeout: timeout).connect(to: address)
        } else {
            connecting = bootstrap(on: eventLoop, timeout: timeout).connect(host: host, port: port)
        }
        return connecting.flatMapErrorThrowing { error in
            throw DialError(target: target, classifying: error)
        }
    }

    /// Runs on `eventLoop`. One deadline for the whole chain; the first failure wins and closes the channel.
    private func connectThroughChain(host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let attempt = ChainAttempt(
            hops: hops, destination: HostPort(host: host, port: port),
            promise: eventLoop.makePromise(of: (any Channel).self))
        let loop = eventLoop.assumeIsolated()
        let timer = loop.scheduleTask(in: connectTimeout) {
            attempt.fail(DialError(
                kind: .timedOut, target: attempt.destination.description,
                detail: "no tunnel through \(attempt.hops.count) upstream prox\(attempt.hops.count == 1 ? "y" : "ies") within the connect timeout"))
        }
        attempt.futureResult.whenComplete { _ in timer.cancel() }

        let first = hops[0]
        connectDirect(host: first.host, port: first.port, on: eventLoop, timeout: connectTimeout)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    attempt.connectedToFirstHop(channel)
                case .failure(let error):
                    let dial = error as? DialError
                    attempt.fail(DialError(
                        kind: dial?.kind ?? .other, target: attempt.destination.description,
                        detail: "upstream proxy \(first): \(dial.map { $0.kind.rawValue + ($0.detail.isEmpty ? "" : " (\($0.detail))") } ?? "\(error)")"))
                }
            }
        return attempt.futureResult.nonisolated()
    }
}

/// One dial through the chain. Lives on one event loop; never touched from another thread.
private final class ChainAttempt {
    let hops: [ProxyURL]
    let destination: HostPort
    private let promise: EventLoopPromise<any Channel>
    private var channel: (any Channel)?
    private var finished = false

    init(hops: [ProxyURL], destination: HostPort, promise: EventLoopPromise<any Channel>) {
        self.hops = hops
        self.destination = destination
        self.promise = promise
    }

    var futureResult: EventLoopFuture<any Channel>.Isolated { promise.futureResult.assumeIsolated() }

    func connectedToFirstHop(_ channel: any Channel) {
        guard !finished else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        negotiate(hop: 0)
    }

    /// Asks `hops[index]` for a tunnel to the next hop, or to the destination from the last one.
    private func negotiate(hop index: Int) {
        guard !finished, let channel else { return }
        let hop = hops[index]
        let isLast = index == hops.count - 1
        let next = isLast ? destination : hops[index + 1].address
        let done = channel.eventLoop.makePromise(of: Void.self)
        let destination = self.destination
        let failure: (String) -> DialError = { detail in
            DialError(kind: .other, target: destination.description, detail: detail.isEmpty ? "" : "\(hop): \(detail)")
        }
        do {
            let sync = channel.pipeline.syncOperations
            switch hop.scheme {
            case .http:
                try sync.addHandler(HopHandshakeHandler(
                    negotiation: HTTPConnectHopNegotiation(hop: hop, host: next.host, port: next.port),
                    isLastHop: isLast, done: done, failure: failure))
            case .socks5, .socks4, .socks4a:
                try sync.addHandler(HopHandshakeHandler(
                    negotiation: SOCKSHopNegotiation(hop: hop, host: next.host, port: next.port),
                    isLastHop: isLast, done: done, failure: failure))
            }
        } catch {
            fail(DialError(target: destination.description, classifying: error))
            return
        }
        done.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                if isLast {
                    self.succeed()
                } else {
                    self.negotiate(hop: index + 1)
                }
            case .failure(let error):
                self.fail(error as? DialError ?? DialError(target: destination.description, classifying: error))
            }
        }
    }

    private func succeed() {
        guard !finished, let channel else { return }
        finished = true
        promise.succeed(channel)
    }

    func fail(_ error: DialError) {
        guard !finished else { return }
        finished = true
        channel?.close(promise: nil)
        promise.fail(error)
    }
}
