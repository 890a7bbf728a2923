import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Watches one server-side TLS handshake: starts reading (the listener's channels have autoRead
/// off), closes the connection when the handshake takes longer than `timeout`, answers a plain
/// HTTP request sent to the TLS port with a plain-text 400, logs failures at debug level, and on
/// success removes itself and lets the application install its handlers for the ALPN result.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let application: any TLSApplication
    private let timeout: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?
    private var done = false

    init(application: any TLSApplication, timeout: TimeAmount, logger: Logger) {
        self.application = application
        self.timeout = timeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            guard !handler.done else { return }
            handler.done = true
            handler.logger.debug("TLS handshake timed out", metadata: ["client": "\(Self.client(context))"])
            context.close(promise: nil)
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        done = true
        timer?.cancel()
        timer = nil
        let channel = context.channel
        do {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            try application.initializeSecuredConnection(channel, applicationProtocol: negotiated)
        } catch {
            logger.error("cannot set up a TLS connection: \(error)")
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !done else { return }
        done = true
        timer?.cancel()
        timer = nil
        let description = "\(error)"
        if description.contains("HTTP_REQUEST") {
            answerPlainHTTP(context: context)
        }
        logger.debug("TLS handshake failed: \(Self.reason(error))", metadata: ["client": "\(Self.client(context))"])
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// A request in plain HTTP: say so in plain HTTP, below the TLS handler, before it closes.
    private func answerPlainHTTP(context: ChannelHandlerContext) {
        guard let tls = try? context.pipeline.syncOperations.context(handlerType: NIOSSLServerHandler.self) else { return }
        let body = "This port speaks HTTPS: use https:// for this address.\n"
        var buffer = context.channel.allocator.buffer(capacity: 160)
        buffer.writeString(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        tls.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? NIOSSLError, case .handshakeFailed(let inner) = error { return "\(inner)" }
        return "\(error)"
    }

    static func client(_ context: ChannelHandlerContext) -> String {
        context.channel.remoteAddress?.ipAddress ?? "?"
    }
}
