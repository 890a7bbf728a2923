import NIOCore
import NIOHTTP1
import WProxyCore

/// The HTTP/1.x reverse-proxy engine for one client connection: the only handler of its pipeline
/// (after a TLS handler, when there is one). Bytes in, bytes out: request heads are parsed by
/// ``NIOCore/ByteBuffer/readRawRequestHead(maxHead:maxURI:)``, response heads by the upstream
/// connection, and bodies are passed on as they are, with only their framing followed.
///
/// Guarantees:
/// - One request at a time per connection, in order: pipelined requests wait in `inbound`
///   (bounded by one socket read, as the client is not read again until it is processed).
/// - Bodies stream both ways: the client is read only while the upstream is writable and the
///   upstream only while the client is writable, so memory per exchange stays bounded.
/// - An upstream connection goes back to the pool only after a clean exchange (whole request sent,
///   whole response read, keep-alive on both ends); after any error it is closed.
/// - Every request the engine answers itself gets a short plain-text body saying what failed.
/// - One timer per connection, re-armed lazily, enforces the header, idle and upstream timeouts.
/// The mode supplies decisions through ``ProxyPhases``; the engine knows nothing about modes.
/// Assumes `autoRead` is off (the engine decides when to read).
package final class HTTP1ProxyHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamConnectionDelegate {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    enum Phase {
        case awaitingHead, filtering, connecting, awaitingResponse, streamingResponse, local, upgraded, closed
    }

    let settings: HTTPEngineSettings
    let phases: any ProxyPhases
    let pool: UpstreamPool

    var context: ChannelHandlerContext!
    var allocator = ByteBufferAllocator()
    /// The client channel's writability, as last reported (cached: asking the channel costs more).
    var clientWritable = true
    /// Response head bytes not yet written: a small body read with it joins it in one write.
    var pendingHead: ByteBuffer?
    /// Calls into the pipeline cost: flush only after writes, ask for a read only once.
    var clientNeedsFlush = false
    var clientReadPending = false
    var phase = Phase.awaitingHead
    /// Client bytes not yet handled: the rest of a head, body bytes, pipelined requests.
    var inbound: ByteBuffer?
    var clientAddress: SocketAddress?
    var clientIP: String?
    var quiescing = false
    var processing = false
    var processAgain = false
    var clientEOF = false

    // Timer state.
    var timer: Scheduled<Void>?
    var timerDeadline: NIODeadline?
    var idleSince: NIODeadline = .now()
    var lastActivity: NIODeadline = .now()
    var headStartedAt: NIODeadline?
    var requestsServed = 0
    /// Where an idle keep-alive connection can wait without its channel (nil: stays in NIO).
    var parking: ConnectionParking?
    var parkFailed = false

    // The current request, valid while `hasRequest` (an idle connection holds the bufferless
    // `RawRequestHead.none`). Not an optional on purpose: an optional of a struct this size is
    // copied and destroyed through its value-witness table, several hundred instructions a time.
    var request = RawRequestHead.none
    var hasRequest = false
    /// The last request head's field array, reused by the next (`finishRequest` hands it back).
    var spareFields: [RawResponseHead.Field] = []
    /// `request.bytes` is still a slice of the client's read buffer (see `processOnce`).
    var requestBorrowsReadBuffer = false
    /// `request.method` and `request.versionMinor == 0`, kept apart: reading them through `request`
    /// copies the whole head (three reference counts) on the hot path.
    var requestMethod = HTTPMethod.GET
    var requestIsHTTP10 = false
    var requestFraming = MessageFraming.none
    var bodyRemaining = 0
    var requestChunks = ChunkedTracker()
    var isIdempotent = true
    var isUpgrade = false
    var expectContinue = false
    var clientKeepAlive = true
    var clientHost: String?
    var closeAfterResponse = false
    var requestEnded = false
    var bodyReceived = 0
    var bodySent = 0
    var peer: UpstreamPeer?
    var upstream: UpstreamConnection?
    var upstreamReused = false
    var assigned = false
    var tried = TriedUpstreams()
    var attempts = 0
    var staleRetries = 0
    var responseFraming = MessageFraming.none
    var clientFraming = HeadWriters.ClientFraming.none
    var responseKeepAlive = true
    var responseStatus = 0
    var bytesOut = 0
    var startedAt: NIODeadline = .now()
    var upstreamStartedAt: NIODeadline = .now()
    var upstreamDuration: TimeAmount?
    var pendingUpstreamRead = false
    /// What the engine lane decided for the request it handed over with this connection (see
    /// `HTTPLane.toNIO`); taken by the first pick.
    var handover: LaneHandover?
    /// How often the lane handed this connection to NIO (see `maxLaneBounces`).
    var laneBounces = 0
    /// Responses written with one `send` on the client's socket, from the second
    /// request of a plain-HTTP connection on (see `DirectWriter`, as for upstream requests).
    var clientDirect: DirectWriter?

    init(settings: HTTPEngineSettings, phases: any ProxyPhases, pool: UpstreamPool) {
        self.settings = settings
        self.phases = phases
        self.pool = pool
    }

    /// Installs the HTTP/1 engine on an accepted (or TLS-wrapped) channel. A TLS layer adds its
    /// handler first and then calls this when ALPN picked `http/1.1` (or nothing).
    /// `parking`: only for plain sockets (no TLS under the engine), see `HTTP1ProxyHandler+Timer`.
    package static func configure(
        channel: any Channel, settings: HTTPEngineSettings, phases: any ProxyPhases, parking: ConnectionParking? = nil
    ) throws {
        let handler = HTTP1ProxyHandler(settings: settings, phases: phases, pool: settings.pools.pool(for: channel.eventLoop))
        handler.parking = parking
        // A plain socket (the same condition as parking): responses may go out with a direct send.
        if parking != nil { handler.clientDirect = DirectWriter() }
        // (The listener already starts read buffers small: `ReceiveBuffers`.) One read per read() call,
        // so at most one pooled read buffer per connection.
        try channel.syncOptions?.setOption(ChannelOptions.maxMessagesPerRead, value: 1)
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    // MARK: Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        allocator = context.channel.allocator
        clientAddress = context.channel.remoteAddress
        clientIP = clientAddress?.ipAddress
        if context.channel.isActive { start() }
    }

    package func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    private var started = false
    private func start() {
        guard !started else { return }
        started = true
        idleSince = .now()
        headStartedAt = idleSince  // the first request's header timeout runs from accept
        armTimer(idleSince + settings.headerTimeout)
        readClient()
    }

    @inline(__always)
    func writeClient(_ buffer: ByteBuffer) {
        clientNeedsFlush = true
        if let clientDirect, clientDirect.ready {
            clientDirect.queue(buffer)
            return
        }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    @inline(__always)
    func flushClient() {
        guard clientNeedsFlush else { return }
        clientNeedsFlush = false
        if let clientDirect, clientDirect.ready {
            if let rest = clientDirect.send() {
                // The client did not take it all: NIO writes the rest (and everything after it).
                self.clientDirect = nil
                context.writeAndFlush(wrapOutboundOut(rest), promise: nil)
            }
            return
        }
        context.flush()
    }

    /// Before a write that goes through NIO by itself (file chunks, 100 Continue, an upgrade's
    /// head): send what is queued and stop writing directly, so that nothing overtakes NIO's queue.
    func endDirectClientWrites() {
        guard let clientDirect else { return }
        flushClient()
        clientDirect.close()
        self.clientDirect = nil
    }

    @inline(__always)
    func readClient() {
        guard !clientReadPending else { return }
        clientReadPending = true
        context.read()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if case .closed = phase { return }
        // (While switching protocols, bytes are kept too: they go to the upstream with the join.)
        if inbound == nil {
            inbound = buffer
        } else {
            inbound!.writeBuffer(&buffer)
        }
        process()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        clientReadPending = false
        upstream?.flush()
        if case .awaitingHead = phase, let headStartedAt {
            armTimer(headStartedAt + settings.headerTimeout)
        }
        maybeReadClient()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        clientWritable = context.channel.isWritable
        if clientWritable, pendingUpstreamRead, let upstream {
            pendingUpstreamRead = false
            upstream.read()
        }
        context.fireChannelWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        pendingHead = nil
        timer?.cancel()
        timer = nil
        switch phase {
        case .upgraded, .closed:
            break
        case .awaitingHead:
            phase = .closed
        case .filtering, .connecting, .awaitingResponse, .streamingResponse, .local:
            if responseStatus == 0 { responseStatus = 499 }
            abandonUpstream()
            finishLog()
            phase = .closed
        }
        context.fireChannelInactive()
    }

    /// The handler and its context reference each other: without dropping ours, both (with the
    /// pipeline they hold) would outlive every connection. Late callbacks check `phase` first.
    package func handlerRemoved(context: ChannelHandlerContext) {
        clientDirect?.close()
        clientDirect = nil
        timer?.cancel()
        timer = nil
        if case .upgraded = phase {} else { phase = .closed }
        self.context = nil
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors (reset by the client): close; channelInactive cleans up.
        context.close(promise: nil)
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if case .awaitingHead = phase, inbound?.readableBytes ?? 0 == 0 {
                close()
            } else {
                closeAfterResponse = true
            }
            return
        }
        if let event = event as? ChannelEvent, case .inputClosed = event {
            // The client finished sending. Idle: close; mid-exchange: answer, then close.
            clientEOF = true
            closeAfterResponse = true
            if case .awaitingHead = phase { close() }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Reading the client

    /// Handles what `inbound` holds as far as the current phase allows. Re-entrant calls (a
    /// pipelined request answered at once) are turned into another turn of the outer loop.
    func process() {
        if processing {
            processAgain = true
            return
        }
        processing = true
        defer { processing = false }
        repeat {
            processAgain = false
            processOnce()
        } while processAgain
    }

    private func processOnce() {
        switch phase {
        case .awaitingHead:
            guard var buffer = inbound, buffer.readableBytes > 0 else { return }
            lastActivity = .now()
            if headStartedAt == nil { headStartedAt = lastActivity }
            let head: RawRequestHead
            do {
                guard let length = try buffer.rawRequestHeadLength(maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize) else {
                    inbound = buffer
                    return
                }
                head = try buffer.readRawRequestHead(
                    length: length, maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize, reusing: &spareFields)
            } catch {
                inbound = nil
                startedAt = .now()
                request = .none
                hasRequest = false
                clientKeepAlive = false
                respondLocally(error.status, error.reason, close: true)
                return
            }
            // The head still lies in the read buffer. `attach` copies it next to the upstream request
            // (one allocation for both); otherwise it is copied here. Either way no reference to the
            // read buffer is left once this returns, so NIO can recycle it for the next read instead
            // of allocating a new one (and idle connections hold none).
            inbound = buffer.readableBytes > 0 ? buffer : nil
            requestBorrowsReadBuffer = true
            startRequest(head)
            if requestBorrowsReadBuffer { ownRequestHead() }
        case .awaitingResponse, .streamingResponse:
            if !requestEnded, let upstream { forwardBody(to: upstream) }
        case .local:
            if !requestEnded { discardBody() }
        case .filtering, .connecting, .upgraded, .closed:
            break
        }
    }

    /// Gives the current request head bytes of its own (see `processOnce`).
    func ownRequestHead() {
        requestBorrowsReadBuffer = false
        guard hasRequest else { return }
        var owned = allocator.buffer(capacity: request.bytes.readableBytes)
        owned.writeImmutableBuffer(request.bytes)
        request.bytes = owned
    }

    /// Pipelined bytes held while a response is in flight; the client is not read beyond this.
    static let maxPipelinedBytes = 64 << 10

    /// Asks for the next client read when the engine can take more bytes. While a response is in
    /// flight a read stays pending too (up to ``maxPipelinedBytes`` buffered): NIO would otherwise
    /// drop and re-add read interest around every request (two `epoll_ctl` calls each), and a
    /// client that goes away is noticed at once.
    func maybeReadClient() {
        guard !clientEOF else { return }
        switch phase {
        case .awaitingHead:
            readClient()
        case .awaitingResponse, .streamingResponse:
            if requestEnded {
                if inbound?.readableBytes ?? 0 < Self.maxPipelinedBytes { readClient() }
            } else if inbound?.readableBytes ?? 0 == 0, let upstream, upstream.isWritable {
                readClient()
            }
        case .local:
            if !requestEnded { readClient() }  // discarding a body we do not need
        case .filtering, .connecting, .upgraded, .closed:
            break
        }
    }

    func close() {
        switch phase {
        case .closed, .upgraded: return
        default: break
        }
        phase = .closed
        context.close(promise: nil)
    }
}
