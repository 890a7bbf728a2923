import NIOCore

/// Sits in front of the HTTP decoder while a CONNECT is being dialed and keeps the client's EOF
/// from reaching it.
///
/// NIO reads a socket to its end as soon as the client shuts its write side (EPOLLRDHUP), whether
/// a read was asked for or not. The decoder would then see the EOF and drop the bytes the client
/// sent after the CONNECT head (NIO forwards leftover bytes only when no EOF was seen). Held back
/// here, the decoder hands those bytes on when it is removed, and the tunnel passes the EOF on.
final class EOFHoldHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// The client's EOF arrived and was held back.
    private(set) var held = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            held = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
