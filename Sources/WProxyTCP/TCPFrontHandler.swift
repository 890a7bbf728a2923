import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyLoadBalancing
import WProxyProtocols

/// Handles one client connection of `wproxy tcp` until it is joined to an upstream:
/// peeks the TLS ClientHello when SNI routes exist, picks and dials an upstream (with retries),
/// sends the PROXY header, then hands both channels to the relay and removes itself.
final class TCPFrontHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum State {
        case peeking(ByteBuffer)
        case dialing
        case relaying
        case closed
    }

    private let proxy: TCPProxy
    private var state: State
    private var peekTimeout: Scheduled<Void>?
    private var serverName: String?
    private var tried: Set<Int> = []
    private var attempts = 0
    private let started = NIODeadline.now()
    private var context: ChannelHandlerContext?

    private let handoff: TunnelHandoff?
    /// Bytes and EOF that arrive while dialing. NIO reads a socket to its end as soon as it sees the
    /// peer's FIN (EPOLLRDHUP), whether a read was asked for or not: a client that sends and shuts
    /// its write side before the upstream answers must not lose either.
    private var early: ByteBuffer?
    private var clientSentEOF = false

    init(proxy: TCPProxy, handoff: TunnelHandoff?) {
        self.proxy = proxy
        self.handoff = handoff
        self.state = proxy.sniRoutes.isEmpty ? .dialing : .peeking(ByteBuffer())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private var startedOnce = false
    private func start(context: ChannelHandlerContext) {
        guard !startedOnce else { return }
        startedOnce = true
        switch state {
        case .peeking:
            let loop = context.eventLoop.assumeIsolated()
            peekTimeout = loop.scheduleTask(in: proxy.handshakeTimeout) { [weak self] in
                self?.fail(reason: "handshake_timeout", message: "no TLS ClientHello within the handshake timeout")
            }
            context.read()
        case .dialing:
            dialNext(initial: [])
        case .relaying, .closed:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .dialing = state {
            var incoming = unwrapInboundIn(data)
            if early == nil { early = incoming } else { early!.writeBuffer(&incoming) }
            return
        }
        guard case .peeking(var buffered) = state else { return }
        var incoming = unwrapInboundIn(data)
        buffered.writeBuffer(&incoming)
        state = .peeking(buffered)
        do {
            switch try ClientHelloParser().peek(buffered) {
            case .needMoreData:
                context.read()
            case .serverName(let name):
                serverName = name
                routeAfterPeek(buffered)
            }
        } catch {
            // Not TLS, or a ClientHello we cannot read: it still goes to the default upstreams.
            proxy.logger.debug("no SNI: \(error)")
            routeAfterPeek(buffered)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func channelInactive(context: ChannelHandlerContext) {
        if case .peeking = state {
            fail(reason: "client_closed", message: nil)
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            switch state {
            case .peeking(let buffered):
                // EOF before a full ClientHello: route what we have; the relay passes the EOF on.
                clientSentEOF = true
                routeAfterPeek(buffered)
                return
            case .dialing:
                clientSentEOF = true
                return
            case .relaying, .closed:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(reason: "client_error", message: "\(error)")
    }

    private func routeAfterPeek(_ buffered: ByteBuffer) {
        peekTimeout?.cancel()
        peekTimeout = nil
        state = .dialing
        if let serverName, let upstream = proxy.route(serverName: serverName) {
            dial(upstream, backend: nil, initial: [buffered])
        } else {
            dialNext(initial: [buffered])
        }
    }

    /// Picks the next upstream from the balanced set and dials it.
    private func dialNext(initial: [ByteBuffer]) {
        guard let context else { return }
        let key = context.channel.remoteAddress?.ipAddress.map { SelectionKey.clientAddress(Array($0.utf8)) } ?? .none
        guard let backend = proxy.upstreams.pick(key: key, tried: tried) else {
            let reason = proxy.upstreams.endpoints.isEmpty ? "no route for this connection" : "no healthy upstream"
            fail(reason: "no_upstream", message: reason)
            return
        }
        tried.insert(backend.id)
        dial(proxy.upstreams.endpoints[backend.id].address, backend: backend, initial: initial)
    }

    private func dial(_ address: HostPort, backend: Backend?, initial: [ByteBuffer]) {
        guard let context else { return }
        attempts += 1
        proxy.dialer.connect(host: address.host, port: address.port, on: context.eventLoop).assumeIsolated().whenComplete {
            [self] result in
            switch result {
            case .success(let upstream):
                if let backend { proxy.upstreams.health.record(backend.id, success: true) }
                connected(upstream, address: address, backend: backend, initial: initial)
            case .failure(let error):
                if let backend {
                    proxy.upstreams.health.record(backend.id, success: false)
                }
                proxy.logger.warning("upstream \(address) failed: \(error)")
                if case .dialing = state, backend != nil, attempts <= proxy.options.retries {
                    dialNext(initial: initial)
                } else {
                    fail(reason: "upstream_failed", message: "\(error)", upstream: address.description)
                }
            }
        }
    }

    private func connected(_ upstream: any Channel, address: HostPort, backend: Backend?, initial: [ByteBuffer]) {
        guard case .dialing = state, let context, context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        state = .relaying
        let client = context.channel
        var toSend = initial.filter { $0.readableBytes > 0 }
        if let early {
            toSend.append(early)
            self.early = nil
        }
        if let version = proxy.options.proxyProtocol {
            var header = client.allocator.buffer(capacity: 108)
            let info = ProxyHeader(source: client.remoteAddress, destination: client.localAddress)
            switch version {
            case .v1: header.writeProxyHeaderV1(info)
            case .v2: header.writeProxyHeaderV2(info)
            }
            toSend.insert(header, at: 0)
        }
        if let backend { proxy.upstreams.counts.opened(backend.id) }
        let proxy = self.proxy
        let serverName = self.serverName
        let started = self.started
        let clientAddress = Listener.format(client.remoteAddress)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        self.context = nil
        do {
            try Relay.join(client: client, upstream: upstream, initialUpstreamData: toSend, clientSentEOF: clientSentEOF,
                           idleTimeout: proxy.idleTimeout, handoff: handoff) {
                result in
                if let backend { proxy.upstreams.counts.closed(backend.id) }
                proxy.accessLog?.log(Self.record(
                    client: clientAddress, upstream: address.description, sni: serverName, started: started,
                    up: result.bytesUp, down: result.bytesDown, end: result.end.rawValue))
            }
        } catch {
            client.close(promise: nil)
            upstream.close(promise: nil)
        }
    }

    private func fail(reason: String, message: String?, upstream: String = "-") {
        switch state {
        case .closed, .relaying: return
        case .peeking, .dialing: break
        }
        state = .closed
        peekTimeout?.cancel()
        guard let context else { return }
        if let message { proxy.logger.debug("closing connection from \(Listener.format(context.channel.remoteAddress)): \(message)") }
        proxy.accessLog?.log(Self.record(
            client: Listener.format(context.channel.remoteAddress), upstream: upstream, sni: serverName, started: started,
            up: 0, down: 0, end: reason))
        context.close(promise: nil)
    }

    static func record(
        client: String, upstream: String, sni: String?, started: NIODeadline, up: Int, down: Int, end: String
    ) -> [(String, String)] {
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return [
            ("time", Timestamp.now()), ("mode", "tcp"), ("client", client), ("upstream", upstream),
            ("sni", sni ?? "-"), ("bytes_up", String(up)), ("bytes_down", String(down)),
            ("duration", String(format3(seconds))), ("end", end),
        ]
    }
}

/// Seconds with millisecond precision, without Foundation's String(format:).
func format3(_ seconds: Double) -> String {
    let millis = Int((seconds * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
