import NIOCore
import NIOHTTP1

/// Receives one upstream connection's events while it serves a request.
package protocol UpstreamConnectionDelegate: AnyObject {
    /// A final response head (1xx other than 101 are skipped). For 101 `framing` is `.none` and the
    /// bytes after the head are in ``UpstreamConnection/leftover``.
    func upstreamResponseHead(_ head: RawResponseHead, framing: MessageFraming, keepAlive: Bool)
    /// Body bytes to pass on as they are (chunked framing included, unless `dechunk` is set).
    func upstreamResponseBody(_ body: ByteBuffer)
    func upstreamResponseEnd()
    func upstreamReadComplete()
    func upstreamWritabilityChanged()
    /// The response head or its framing is invalid (answer 502). The connection is closed.
    func upstreamInvalid(_ reason: String)
    /// The connection failed or closed before the response ended. The connection is closed.
    func upstreamFailed(_ error: any Error)
}

/// An upstream closed its connection before the response was complete.
package struct UpstreamClosedError: Error, CustomStringConvertible {
    package init() {}
    package var description: String { "upstream closed the connection" }
}

/// The only handler of an upstream HTTP/1.1 connection: requests go out as bytes the engine has
/// serialised; responses come in as bytes that are parsed just enough to find the head and the end
/// of the body, and are otherwise passed on untouched.
///
/// While it serves a request it reports to its `delegate`; while it sits idle in the pool it keeps
/// one read pending, so a close (or unexpected bytes) from the upstream is seen at once and the
/// connection leaves the pool. It is reusable only when the response ended exactly at the end of
/// what was read and the upstream kept the connection alive. Bound to its channel's event loop.
package final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    enum ReadState {
        case idle, head, body(MessageFraming), upgraded, done
    }

    package let peerID: Int
    package let channel: any Channel
    /// Strong on purpose (weak references cost several atomics per use on the hot path): every path
    /// that ends an exchange clears it (release to the pool, close, abandon).
    package var delegate: (any UpstreamConnectionDelegate)?
    /// Set while the connection is idle in a pool (pools live as long as the process).
    var pool: UpstreamPool?
    var idleSince: NIODeadline = .now()
    var isClosed = false
    /// For an HTTP/1.0 client: pass on only chunk data, not the chunked framing.
    package var dechunk = false
    /// Bytes read after a 101 head (the start of the upgraded protocol).
    package private(set) var leftover: ByteBuffer?
    private(set) var reusable = true
    private var state = ReadState.idle
    private var requestMethod = HTTPMethod.GET
    private var pending: ByteBuffer?
    private var remaining = 0
    private var tracker = ChunkedTracker()
    private var context: ChannelHandlerContext?
    /// The last response head's field array, reused by the next (see `readRawResponseHead(length:reusing:)`).
    private var spareFields: [RawResponseHead.Field] = []
    static let maxHeadSize = 64 << 10

    init(peerID: Int, channel: any Channel, directWrites: Bool) {
        self.peerID = peerID
        self.channel = channel
        self.direct = directWrites ? DirectWriter() : nil
    }

    /// Installs the handler on a freshly dialed channel and returns the connection. `directWrites`:
    /// the channel is a plain TCP socket with nothing between this handler and the wire (no TLS),
    /// so a reused connection may write requests straight to the socket (see `DirectWriter`).
    package static func install(on channel: any Channel, peerID: Int, directWrites: Bool = false) throws -> UpstreamConnection {
        let connection = UpstreamConnection(peerID: peerID, channel: channel, directWrites: directWrites)
        try channel.pipeline.syncOperations.addHandler(connection)
        return connection
    }

    /// Writes requests with one `send` on the channel's socket instead of NIO's write path
    /// (pipeline, pending-writes queue, promise bookkeeping: about a tenth of the proxy's
    /// instructions per request). Only on a connection that is reused (the socket is looked up on
    /// its second exchange, so one-shot connections pay nothing) and has nothing queued in NIO;
    /// whatever a `send` does not take goes through NIO and ends the direct path for the
    /// connection (order is kept). See `DirectWriter`.
    private var direct: DirectWriter?
    private var exchanges = 0

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isClosed = !context.channel.isActive
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        direct?.close()
        direct = nil
    }

    /// Writability as last reported by the channel (cached: asking the channel costs more).
    package private(set) var isWritable = true
    /// False once the channel closed, failed or was closed by us (set from channel events).
    package var isActive: Bool { !isClosed }
    /// True when the last exchange ended cleanly and the connection may serve another.
    var canBeReused: Bool {
        guard reusable, !isClosed, case .done = state else { return false }
        return true
    }

    /// Prepares for the response to a new request (`method` decides whether a body follows).
    package func beginExchange(method: HTTPMethod) {
        exchanges &+= 1
        if exchanges == 2, let direct, !isClosed { direct.open(channel) }
        requestMethod = method
        state = .head
        pending = nil
        remaining = 0
        tracker = ChunkedTracker()
        dechunk = false
        reusable = true
    }

    /// Back to idle after a clean exchange (the pool calls this).
    func markIdle() {
        state = .idle
    }

    // Each call into the pipeline has a cost: flush only after writes, ask for a read only once.
    private var needsFlush = false
    private var readPending = false

    package func write(_ buffer: ByteBuffer) {
        if let direct, direct.ready {
            direct.queue(buffer)
            return
        }
        needsFlush = true
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    package func flush() {
        if let rest = direct?.send() {
            // The socket did not take it all (or failed): NIO writes the rest, and reports failures.
            direct = nil
            context?.writeAndFlush(wrapOutboundOut(rest), promise: nil)
        }
        guard needsFlush else { return }
        needsFlush = false
        context?.flush()
    }

    package func read() {
        guard !readPending else { return }
        readPending = true
        context?.read()
    }

    package func close() {
        guard !isClosed else { return }
        isClosed = true
        delegate = nil
        channel.close(promise: nil)
    }

    // MARK: Inbound

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard delegate != nil else {
            // Bytes from an idle upstream: the connection is out of step; drop it.
            close()
            return
        }
        switch state {
        case .head:
            if var stash = pending {
                pending = nil
                stash.writeBuffer(&buffer)
                buffer = stash
            }
            readHeads(&buffer)
        case .body(let framing):
            readBody(&buffer, framing: framing)
        case .upgraded:
            leftover.setOrWriteBuffer(&buffer)
        case .idle, .done:
            reusable = false
            close()
        }
    }

    private func readHeads(_ buffer: inout ByteBuffer) {
        while true {
            let head: RawResponseHead
            do {
                guard let length = try buffer.rawResponseHeadLength(limit: Self.maxHeadSize) else {
                    pending = buffer
                    return
                }
                head = try buffer.readRawResponseHead(length: length, reusing: &spareFields)
            } catch {
                invalid(error.reason)
                return
            }
            // Once the delegate is done with the head, its field array serves the next one.
            defer { spareFields = head.fields }
            if head.status >= 100 && head.status < 200 && head.status != 101 {
                continue  // 100 Continue, 103 Early Hints...: the final head follows
            }
            let framing: MessageFraming
            let keepAlive: Bool
            do {
                (framing, keepAlive) = try head.framing(requestMethod: requestMethod)
            } catch {
                invalid(error.reason)
                return
            }
            if head.status == 101 {
                state = .upgraded
                reusable = false
                if buffer.readableBytes > 0 { leftover = buffer }
                delegate?.upstreamResponseHead(head, framing: .none, keepAlive: false)
                return
            }
            if !keepAlive { reusable = false }
            state = .body(framing)
            if case .contentLength(let length) = framing { remaining = length }
            delegate?.upstreamResponseHead(head, framing: framing, keepAlive: keepAlive)
            guard delegate != nil, case .body = state else { return }
            switch framing {
            case .none, .contentLength(0):
                finish(extra: buffer.readableBytes)
            case .contentLength, .chunked, .untilClose:
                if buffer.readableBytes > 0 { readBody(&buffer, framing: framing) }
            }
            return
        }
    }

    private func readBody(_ buffer: inout ByteBuffer, framing: MessageFraming) {
        switch framing {
        case .contentLength:
            let take = min(remaining, buffer.readableBytes)
            remaining -= take
            let extra = buffer.readableBytes - take
            if take > 0 {
                let slice = extra == 0 ? buffer : buffer.readSlice(length: take)!
                delegate?.upstreamResponseBody(slice)
            }
            if remaining == 0 { finish(extra: extra) }
        case .chunked:
            var dataRanges: [Range<Int>] = []
            let consumed: Int
            do {
                let dechunk = self.dechunk
                consumed = try buffer.withUnsafeReadableBytes { bytes in
                    try tracker.consume(bytes) { range in
                        if dechunk { dataRanges.append(range) }
                    }
                }
            } catch {
                // Part of the response is already with the client: all we can do is stop.
                delegate?.upstreamFailed(error)
                close()
                return
            }
            if dechunk {
                for range in dataRanges where !range.isEmpty {
                    delegate?.upstreamResponseBody(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
                }
            } else if consumed > 0 {
                delegate?.upstreamResponseBody(consumed == buffer.readableBytes ? buffer : buffer.getSlice(at: buffer.readerIndex, length: consumed)!)
            }
            if tracker.isDone { finish(extra: buffer.readableBytes - consumed) }
        case .untilClose:
            reusable = false
            if buffer.readableBytes > 0 { delegate?.upstreamResponseBody(buffer) }
        case .none:
            finish(extra: buffer.readableBytes)
        }
    }

    private func finish(extra: Int) {
        if extra > 0 { reusable = false }  // bytes beyond the response: out of step
        state = .done
        delegate?.upstreamResponseEnd()
    }

    private func invalid(_ reason: String) {
        let delegate = self.delegate
        close()
        delegate?.upstreamInvalid(reason)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        readPending = false
        if let delegate {
            delegate.upstreamReadComplete()
        } else if !isClosed {
            read()  // idle in the pool: keep watching for a close
        }
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        isWritable = context.channel.isWritable
        delegate?.upstreamWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        endOfInput()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            endOfInput()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// EOF or close: ends a close-delimited body; anything else in flight has failed.
    private func endOfInput() {
        let wasClosed = isClosed
        isClosed = true
        reusable = false
        pool?.remove(self)
        if case .body(.untilClose) = state, delegate != nil {
            finish(extra: 0)
            return
        }
        if case .upgraded = state { return }
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(UpstreamClosedError())
        }
        if !wasClosed { channel.close(promise: nil) }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let delegate = self.delegate
        self.delegate = nil
        isClosed = true
        reusable = false
        pool?.remove(self)
        context.close(promise: nil)
        delegate?.upstreamFailed(error)
    }
}
