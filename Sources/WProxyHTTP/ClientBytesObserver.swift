import NIOCore

/// First handler of a client HTTP/1 pipeline: tells the engine when bytes of a new request head
/// start to arrive (so the header timeout starts then) and whether the request line has ended
/// (so a head that overflows the limits is answered 414 rather than 431). Passes every byte on.
final class ClientBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    weak var engine: HTTP1ProxyHandler?

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let engine, engine.watchingHead {
            engine.observeHeadBytes(unwrapInboundIn(data))
        }
        context.fireChannelRead(data)
    }
}
