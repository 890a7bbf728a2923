import NIOCore
import NIOHTTP2

/// Connection-level housekeeping for an HTTP/2 client connection, after `NIOHTTP2Handler`:
/// - on shutdown or reload drain (`ChannelShouldQuiesceEvent`) sends `GOAWAY` `NO_ERROR` naming the
///   last stream it will serve, lets open streams finish, and closes when none is left;
/// - closes the connection (after a `GOAWAY`) when it has had no open stream for `idleTimeout`.
final class HTTP2ConnectionManagerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let idleTimeout: TimeAmount
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID(0)
    private var goingAway = false
    private var idleTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armIdleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let created = event as? NIOHTTP2StreamCreatedEvent {
            openStreams += 1
            if created.streamID > lastStreamID { lastStreamID = created.streamID }
            idleTimer?.cancel()
            idleTimer = nil
        } else if event is StreamClosedEvent {
            openStreams = max(openStreams - 1, 0)
            if openStreams == 0 {
                if goingAway {
                    context.close(promise: nil)
                } else {
                    armIdleTimer()
                }
            }
        } else if event is ChannelShouldQuiesceEvent {
            goAway(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func goAway(context: ChannelHandlerContext) {
        guard !goingAway else { return }
        goingAway = true
        let frame = HTTP2Frame(
            streamID: .rootStream, payload: .goAway(lastStreamID: lastStreamID, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        if openStreams == 0 { context.close(promise: nil) }
    }

    private func armIdleTimer() {
        guard let context, idleTimer == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: idleTimeout) {
            let handler = bound.value
            handler.idleTimer = nil
            guard let context = handler.context, handler.openStreams == 0 else { return }
            handler.goAway(context: context)
        }
    }
}
