import NIOCore

/// One half of a relay: a matched pair of these joins two channels on the same event loop.
///
/// Guarantees:
/// - Backpressure: this side reads only while its partner's channel is writable; a blocked
///   reader is resumed when the partner becomes writable again, so memory per tunnel is bounded.
/// - Half-close: EOF read here becomes a write-side shutdown on the partner, after everything
///   already written to the partner is flushed; the other direction keeps flowing.
/// - Close: when this channel closes, the partner flushes what it has and closes.
/// Assumes both channels have `allowRemoteHalfClosure` set and `autoRead` enabled after joining.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Side { case client, upstream }

    private let side: Side
    private let session: RelaySession
    fileprivate var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// EOF was read from this side (the partner's write side is being shut).
    private(set) var sawInputEOF = false

    init(side: Side, session: RelaySession) {
        self.side = side
        self.session = session
    }

    static func matchedPair(session: RelaySession) -> (client: GlueHandler, upstream: GlueHandler) {
        let client = GlueHandler(side: .client, session: session)
        let upstream = GlueHandler(side: .upstream, session: session)
        client.partner = upstream
        upstream.partner = client
        return (client, upstream)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        switch side {
        case .client: session.bytesUp &+= count
        case .upstream: session.bytesDown &+= count
        }
        session.lastActivity = context.eventLoop.now
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Moved to the tunnel engine: the sockets live on there, nothing ended.
        if session.migrated { return partner = nil }
        session.sideClosed()
        partner?.partnerClose()
        partner = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            sawInputEOF = true
            partner?.partnerWriteEOF()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if session.migrated { return }
        session.noteEnd(.error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if partner?.partnerWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: Called by the partner

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private var partnerWritable: Bool {
        context?.channel.isWritable ?? false
    }

    private func partnerBecameWritable() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    /// Flush what is queued, then shut our write side (NIO escalates to a full close when our input is
    /// already closed too). Shutting output directly could drop queued writes in that escalation.
    private func partnerWriteEOF() {
        guard let context else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
    }

    private func partnerClose() {
        guard let context else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
