import NIOCore
import NIOHTTP2

/// Connection-level housekeeping for an HTTP/2 client connection, after `NIOHTTP2Handler`:
/// - on shutdown or reload drain (`ChannelShouldQuiesceEvent`) sends `GOAWAY` `NO_ERROR` naming the
///   last stream it will serve, lets open streams finish, and closes when none is left;
/// - closes the connection (after a `GOAWAY`) when it has had no open stream for `idleTimeout`.
final class HTTP2ConnectionManagerHandler: ChannelInboundHandler {
    /// Stream lifecycle from NIOHTTP2 (its inline multiplexer does not fire the events down the pipeline).
    struct Delegate: NIOHTTP2StreamDelegate {
        let handler: NIOLoopBound<HTTP2ConnectionManagerHandler>

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { handler.value.streamCreated(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { handler.value.streamClosed(id) }
    }

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

    func streamCreated(_ id: HTTP2StreamID) {
        openStreams += 1
        if id > lastStreamID { lastStreamID = id }
        idleTimer?.cancel()
        idleTimer = nil
    }

    func streamClosed(_ id: HTTP2StreamID) {
        openStreams = max(openStreams - 1, 0)
        guard openStreams == 0, let context else { return }
        if goingAway {
            closeSoon(context: context)
        } else {
            armIdleTimer()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
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
        if openStreams == 0 { closeSoon(context: context) }
    }

    /// Closes once the frames of the last stream, which NIOHTTP2 may still hold for this tick's
    /// flush, are written.
    private func closeSoon(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let context = bound.value
            context.flush()
            context.close(promise: nil)
        }
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
