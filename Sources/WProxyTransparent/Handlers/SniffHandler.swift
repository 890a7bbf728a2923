import NIOCore

/// Watches the first bytes from the client for a host name and passes every read on untouched
/// (the same `NIOAny`, in the same order, at once), then removes itself once it has decided.
///
/// Sits before the relay's glue handler, so it neither delays nor alters the stream; it only
/// copies the first few kilobytes into its ``HostSniffer``.
final class SniffHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var sniffer = HostSniffer()
    private var removing = false

    /// The host seen so far, or nil. Read on the event loop when the tunnel ends.
    var sniffedHost: String? {
        if case .host(let host) = sniffer.outcome { return host }
        return nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let outcome = sniffer.feed(unwrapInboundIn(data))
        context.fireChannelRead(data)
        if outcome != .undecided { removeSelf(context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            sniffer.endOfInput()
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func removeSelf(context: ChannelHandlerContext) {
        guard !removing else { return }
        removing = true
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
