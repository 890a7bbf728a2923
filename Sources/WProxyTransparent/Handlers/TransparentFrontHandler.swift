import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyDialer

/// Handles one diverted connection until it is joined to its destination: reads the original
/// destination, refuses loops, dials through the proxy's dialer, hands both channels to the relay
/// and removes itself. The client is not read from before the relay starts (a server-speaks-first
/// protocol works), except that NIO reads a socket to its end when the client shuts its write
/// side (EPOLLRDHUP) whatever was asked: those bytes and that EOF are kept and passed on.
final class TransparentFrontHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum State {
        case idle
        case resolving
        case dialing(IPEndpoint)
        case relaying
        case closed
    }

    private let proxy: TransparentProxy
    private let sniff: SniffHandler?
    private var state = State.idle
    private let started = NIODeadline.now()
    private var context: ChannelHandlerContext?

    private let handoff: TunnelHandoff?
    private var early: ByteBuffer?
    private var clientSentEOF = false

    init(proxy: TransparentProxy, sniff: SniffHandler?, handoff: TunnelHandoff?) {
        self.handoff = handoff
        self.proxy = proxy
        self.sniff = sniff
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if early == nil { early = incoming } else { early!.writeBuffer(&incoming) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            clientSentEOF = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .idle, .resolving, .dialing:
            finish(end: "client_closed", destination: destinationText, logLevel: .debug, message: "client closed before the relay started")
        case .relaying, .closed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(end: "client_error", destination: destinationText, logLevel: .debug, message: "\(error)")
    }

    private var destinationText: String {
        if case .dialing(let destination) = state { return destination.description }
        return "-"
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .resolving
        let channel = context.channel
        OriginalDestination.read(from: channel, tproxy: proxy.options.tproxy).assumeIsolated().whenComplete { [self] result in
            guard case .resolving = state else { return }
            let destination: IPEndpoint
            switch result {
            case .success(let found):
                destination = found
            case .failure(let error):
                // Not diverted by NAT: the client reached the listener itself (the loop guard closes it).
                proxy.logger.debug("no original destination for \(clientText): \(error)")
                guard let local = IPEndpoint(channel.localAddress) else {
                    finish(end: "no_destination", destination: "-", logLevel: .warning, message: "\(error)")
                    return
                }
                destination = local
            }
            route(to: destination, channel: channel)
        }
    }

    private func route(to destination: IPEndpoint, channel: any Channel) {
        let isLoop = proxy.loopGuard.isLoop(
            destination: destination,
            acceptedLocal: IPEndpoint(channel.localAddress),
            acceptingListener: IPEndpoint(channel.parent?.localAddress),
            isLocalAddress: TransparentProxy.isLocalAddress)
        if isLoop {
            finish(
                end: "loop", destination: destination.description, logLevel: .warning,
                message: "connection to \(destination) is a loop (the destination is this proxy's own listener); closed")
            return
        }
        state = .dialing(destination)
        proxy.dialer.connect(host: destination.ip, port: destination.port, on: channel.eventLoop).assumeIsolated().whenComplete {
            [self] result in
            switch result {
            case .success(let upstream):
                connected(upstream, destination: destination)
            case .failure(let error):
                finish(
                    end: "upstream_failed", destination: destination.description, logLevel: .warning,
                    message: "destination \(destination) failed: \(error)")
            }
        }
    }

    private func connected(_ upstream: any Channel, destination: IPEndpoint) {
        guard case .dialing = state, let context, context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        state = .relaying
        let client = context.channel
        var record = TransparentAccessRecord(
            client: clientText, originalDestination: destination.description, route: proxy.route,
            started: started, end: "")
        let proxy = self.proxy
        let sniff = self.sniff
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        self.context = nil
        do {
            let early = self.early.map { [$0] } ?? []
            self.early = nil
            try Relay.join(
                client: client, upstream: upstream, initialUpstreamData: early, clientSentEOF: clientSentEOF,
                idleTimeout: proxy.idleTimeout, handoff: handoff
            ) { result in
                record.sniffed = sniff?.sniffedHost
                record.bytesUp = result.bytesUp
                record.bytesDown = result.bytesDown
                record.end = result.end.rawValue
                proxy.accessLog?.log(record.fields())
            }
        } catch {
            client.close(promise: nil)
            upstream.close(promise: nil)
        }
    }

    private var clientText: String {
        IPEndpoint(context?.channel.remoteAddress)?.description ?? "-"
    }

    /// Ends a connection that never reached the relay: one access-log line, then close.
    private func finish(end: String, destination: String, logLevel: Logger.Level, message: String) {
        switch state {
        case .relaying, .closed: return
        case .idle, .resolving, .dialing: break
        }
        state = .closed
        guard let context else { return }
        proxy.logger.log(level: logLevel, "\(message)", metadata: ["client": "\(clientText)"])
        let record = TransparentAccessRecord(
            client: clientText, originalDestination: destination, sniffed: nil, route: proxy.route,
            started: started, end: end)
        proxy.accessLog?.log(record.fields())
        context.close(promise: nil)
    }
}
