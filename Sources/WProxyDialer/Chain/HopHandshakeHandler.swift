import NIOCore

/// Runs one hop's handshake on a freshly connected channel, then gets out of the way.
///
/// Guarantees:
/// - Reads only while the handshake needs bytes (the channel has `autoRead` off), so nothing past the
///   reply is read and dropped before the caller's handlers are in place.
/// - On success `done` succeeds and the handler removes itself. If the hop sent bytes after its reply
///   (the destination speaking first, in the same segment) or closed its side, the handler stays until
///   the caller's first `read()`, replays those bytes and that EOF through the caller's handlers, and only
///   then removes itself: so a relay or an HTTP decoder joined later sees them exactly as if they had
///   been read after it was installed.
/// - On failure `done` fails with a `DialError` and the channel is closed.
/// Assumes it is added to an active channel, on its event loop, and that no other handler reads it meanwhile.
final class HopHandshakeHandler<Negotiation: HopNegotiation>: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny

    private enum State {
        case negotiating
        /// Established during the current read burst: later reads in the same burst belong to the caller.
        case established(pending: ByteBuffer?, inputClosed: Bool)
        /// Waiting for the caller's first `read()` to replay what arrived with the reply.
        case holding(pending: ByteBuffer?, inputClosed: Bool)
        case finished
    }

    private var negotiation: Negotiation
    private var state = State.negotiating
    private let done: EventLoopPromise<Void>
    /// Bytes or EOF after the reply are a protocol error for every hop but the last.
    private let isLastHop: Bool
    private let failure: (String) -> DialError

    /// - Parameter failure: the error for a hop that closed or failed mid-handshake.
    init(negotiation: Negotiation, isLastHop: Bool, done: EventLoopPromise<Void>, failure: @escaping (String) -> DialError) {
        self.negotiation = negotiation
        self.isLastHop = isLastHop
        self.done = done
        self.failure = failure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        perform(negotiation.start(), context: context)
        if case .negotiating = state { context.read() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch state {
        case .negotiating:
            perform(negotiation.received(bytes), context: context)
        case .established(var pending, let inputClosed):
            state = .finished  // no CoW while appending
            Self.append(bytes, to: &pending)
            state = .established(pending: pending, inputClosed: inputClosed)
        case .holding, .finished:
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .negotiating:
            context.read()
        case .established(let pending, let inputClosed):
            settle(pending: pending, inputClosed: inputClosed, context: context)
        case .holding, .finished:
            context.fireChannelReadComplete()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let channelEvent = event as? ChannelEvent, case .inputClosed = channelEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .negotiating:
            fail(failure("the upstream proxy closed the connection during the handshake"), context: context)
        case .established(let pending, _):
            state = .established(pending: pending, inputClosed: true)
        case .holding(let pending, _):
            state = .holding(pending: pending, inputClosed: true)
        case .finished:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .negotiating, .established:
            fail(failure("the upstream proxy closed the connection during the handshake"), context: context)
        case .holding, .finished:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .negotiating, .established:
            fail(DialError(target: failure("").target, classifying: error), context: context)
        case .holding, .finished:
            context.fireErrorCaught(error)
        }
    }

    /// The caller's first read: replay what came with the reply, then leave.
    func read(context: ChannelHandlerContext) {
        guard case .holding(let pending, let inputClosed) = state else {
            context.read()
            return
        }
        state = .finished
        if let pending {
            context.fireChannelRead(wrapInboundOut(pending))
            context.fireChannelReadComplete()
        }
        if inputClosed {
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        } else {
            context.read()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    // MARK: -

    private func perform(_ step: HopStep, context: ChannelHandlerContext) {
        switch step {
        case .send(let bytes):
            context.writeAndFlush(NIOAny(bytes), promise: nil)
        case .needMore:
            break
        case .established(let leftover):
            state = .established(pending: leftover.flatMap { $0.readableBytes > 0 ? $0 : nil }, inputClosed: false)
        case .failed(let error):
            fail(error, context: context)
        }
    }

    private func settle(pending: ByteBuffer?, inputClosed: Bool, context: ChannelHandlerContext) {
        if !isLastHop, pending != nil || inputClosed {
            let detail = inputClosed ? "closed the tunnel at once" : "sent bytes before the next hop was asked"
            fail(failure("the upstream proxy \(detail)"), context: context)
            return
        }
        if pending == nil && !inputClosed {
            state = .finished
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else {
            state = .holding(pending: pending, inputClosed: inputClosed)
        }
        done.succeed(())
    }

    private func fail(_ error: DialError, context: ChannelHandlerContext) {
        switch state {
        case .finished, .holding:
            return
        case .negotiating, .established:
            state = .finished
        }
        done.fail(error)
        context.close(promise: nil)
    }

    private static func append(_ bytes: ByteBuffer, to pending: inout ByteBuffer?) {
        var bytes = bytes
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeBuffer(&bytes)
        }
    }
}
