import NIOCore
import NIOHTTP1

/// Receives one upstream connection's events while it serves a request.
package protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBody(_ body: ByteBuffer)
    func upstreamResponseEnd(_ trailers: HTTPHeaders?)
    func upstreamReadComplete()
    func upstreamWritabilityChanged()
    /// The connection failed or closed before the response ended. The connection is closed.
    func upstreamFailed(_ error: any Error)
}

/// An upstream closed its connection before the response was complete.
package struct UpstreamClosedError: Error, CustomStringConvertible {
    package init() {}
    package var description: String { "upstream closed the connection" }
}

/// The last handler of an upstream HTTP/1.1 connection's pipeline
/// (`HTTPRequestEncoder`, `ByteToMessageHandler(HTTPResponseDecoder)`, this).
///
/// While it serves a request it passes every response part to its `delegate`; while it sits idle
/// in the pool it keeps one read pending, so a close (or unexpected bytes) from the upstream is
/// seen at once and the connection leaves the pool. Bound to its channel's event loop.
package final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundOut = HTTPClientRequestPart

    package let peerID: Int
    package let channel: any Channel
    /// Handlers removed when the connection is upgraded (WebSocket).
    let encoder: HTTPRequestEncoder
    let decoder: ByteToMessageHandler<HTTPResponseDecoder>
    package weak var delegate: (any UpstreamConnectionDelegate)?
    /// Set while the connection is idle in a pool.
    weak var pool: UpstreamPool?
    var idleSince: NIODeadline = .now()
    var isClosed = false
    private var context: ChannelHandlerContext?

    init(peerID: Int, channel: any Channel, encoder: HTTPRequestEncoder, decoder: ByteToMessageHandler<HTTPResponseDecoder>) {
        self.peerID = peerID
        self.channel = channel
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Installs the HTTP/1.1 client handlers on a freshly dialed channel and returns the connection.
    package static func install(on channel: any Channel, peerID: Int) throws -> UpstreamConnection {
        var encoderConfiguration = HTTPRequestEncoder.Configuration()
        encoderConfiguration.automaticallySetFramingHeaders = false
        let encoder = HTTPRequestEncoder(configuration: encoderConfiguration)
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let connection = UpstreamConnection(peerID: peerID, channel: channel, encoder: encoder, decoder: decoder)
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(encoder)
        try sync.addHandler(decoder)
        try sync.addHandler(connection)
        return connection
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    package var isWritable: Bool { channel.isWritable }
    package var isActive: Bool { !isClosed && channel.isActive }

    package func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    package func flush() {
        context?.flush()
    }

    package func read() {
        context?.read()
    }

    package func close() {
        guard !isClosed else { return }
        isClosed = true
        delegate = nil
        channel.close(promise: nil)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let delegate else {
            // Bytes from an idle upstream: the connection is out of step; drop it.
            close()
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head): delegate.upstreamResponseHead(head)
        case .body(let body): delegate.upstreamResponseBody(body)
        case .end(let trailers): delegate.upstreamResponseEnd(trailers)
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        if let delegate {
            delegate.upstreamReadComplete()
        } else if !isClosed {
            context.read()  // idle in the pool: keep watching for a close
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        pool?.remove(self)
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(UpstreamClosedError())
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            // The decoder has already turned EOF into the end of a close-delimited body, if any.
            let delegate = self.delegate
            self.delegate = nil
            isClosed = true
            pool?.remove(self)
            context.close(promise: nil)
            delegate?.upstreamFailed(UpstreamClosedError())
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let delegate = self.delegate
        self.delegate = nil
        isClosed = true
        pool?.remove(self)
        context.close(promise: nil)
        delegate?.upstreamFailed(error)
    }
}
