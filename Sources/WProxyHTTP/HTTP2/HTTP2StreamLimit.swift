import NIOCore
import NIOHTTP2

/// `--h2-max-streams` with `REFUSED_STREAM` for the excess.
///
/// NIOHTTP2 1.46 answers a client that opens more streams than the advertised
/// `SETTINGS_MAX_CONCURRENT_STREAMS` with a connection error (`GOAWAY` `PROTOCOL_ERROR`), which
/// drops every stream in flight. RFC 9113 §5.1.2 allows a stream error instead, which is what the
/// SPEC asks for. So NIOHTTP2 is configured with a higher hard limit, the client is told the real
/// one (``HTTP2SettingsRewriteHandler`` rewrites that one value in the server preface), and streams
/// beyond the real limit are refused one by one here. A client far beyond both still gets the
/// connection error.
final class HTTP2StreamCounter {
    let limit: Int
    private(set) var open = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// The hard limit NIOHTTP2 enforces for an advertised `limit`.
    static func hardLimit(for limit: Int) -> Int { limit + max(limit, 100) }

    /// Counts a new stream; false when it is over the limit (and was not counted).
    func admit(_ channel: any Channel) -> Bool {
        guard open < limit else { return false }
        open += 1
        channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { _ in self.open -= 1 }
        return true
    }
}

/// Refuses its stream at once: `RST_STREAM` `REFUSED_STREAM` (the client may retry it elsewhere).
final class HTTP2RefuseStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var refused = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    private func refuse(context: ChannelHandlerContext) {
        guard !refused else { return }
        refused = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.rstStream(.refusedStream))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// Sits between TLS and `NIOHTTP2Handler` and rewrites the `SETTINGS_MAX_CONCURRENT_STREAMS`
/// value of the server preface (the first frame written) from NIOHTTP2's hard limit to the
/// advertised one; then removes itself. Bytes and lengths are otherwise unchanged.
final class HTTP2SettingsRewriteHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let advertised: UInt32
    private var done = false

    init(advertised: Int) {
        self.advertised = UInt32(advertised)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !done else {
            context.write(data, promise: promise)
            return
        }
        done = true
        var buffer = unwrapOutboundIn(data)
        Self.rewrite(&buffer, maxConcurrentStreams: advertised)
        context.write(wrapOutboundOut(buffer), promise: promise)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Rewrites setting 0x3 in a SETTINGS frame at the start of `buffer`, if it is there whole.
    static func rewrite(_ buffer: inout ByteBuffer, maxConcurrentStreams: UInt32) {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= 9,
            let length = buffer.getInteger(at: start, as: UInt32.self).map({ $0 >> 8 }),
            buffer.getInteger(at: start + 3, as: UInt8.self) == 0x4,
            buffer.getInteger(at: start + 4, as: UInt8.self) == 0,
            length % 6 == 0, buffer.readableBytes >= 9 + Int(length)
        else { return }
        var offset = start + 9
        while offset < start + 9 + Int(length) {
            if buffer.getInteger(at: offset, as: UInt16.self) == 0x3 {
                buffer.setInteger(maxConcurrentStreams, at: offset + 2)
            }
            offset += 6
        }
    }
}
