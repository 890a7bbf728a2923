import NIOCore

/// Catches the raw bytes an HTTP decoder hands on when it is removed after an upgrade or CONNECT
/// (`leftOverBytesStrategy: .forwardBytes`): insert it right after the decoder, remove the decoder,
/// take ``bytes``, then remove this handler. Those bytes belong to the tunnelled protocol and must be
/// relayed first.
package final class UpgradeLeftoverHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer

    package private(set) var bytes: [ByteBuffer] = []

    package init() {}

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if buffer.readableBytes > 0 { bytes.append(buffer) }
    }
}
