import Logging
import NIOCore
import NIOHTTP1
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyProtocols

/// The end of one origin connection: hands its response parts to the client handler using it.
///
/// Lives as long as the connection, which may serve many clients in turn through the pool. While the
/// connection is idle in the pool (`owner == nil`) it keeps one read pending, so an origin that closes
/// an idle connection is noticed and forgotten at once; any byte an idle origin sends closes it.
final class OriginHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    let key: String
    private let pool: OriginPool
    weak var owner: ForwardHandler?
    private(set) var channel: (any Channel)?
    let requestEncoder: HTTPRequestEncoder
    let responseDecoder: ByteToMessageHandler<HTTPResponseDecoder>

    init(key: String, pool: OriginPool) {
        self.key = key
        self.pool = pool
        self.requestEncoder = HTTPRequestEncoder(configuration: .noFraming)
        self.responseDecoder = ByteToMessageHandler(
            HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward))
    }

    /// Installs the HTTP client codec and this handler on a fresh origin connection.
    func install(on channel: any Channel) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(requestEncoder)
        try sync.addHandler(responseDecoder)
        try sync.addHandler(self)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        channel = nil
    }

    /// Parks the connection in the pool; false when the pool is full (the caller closes it).
    func park() -> Bool {
        owner = nil
        guard let channel, pool.put(channel, key: key) else { return false }
        channel.read()
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let owner {
            owner.originRead(unwrapInboundIn(data))
        } else {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.originReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { owner?.originBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            // The decoder has already ended a close-delimited body; the connection cannot be reused.
            owner?.originEnded(error: nil)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pool.remove(context.channel, key: key)
        owner?.originEnded(error: nil)
        owner = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        owner?.originEnded(error: error)
        owner = nil
        context.close(promise: nil)
    }
}
