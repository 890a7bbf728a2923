import NIOCore
import NIOHTTP1
import WProxyCore

/// The HTTP/1.x reverse-proxy engine for one client connection (the last handler of a pipeline
/// built by ``HTTP1ProxyHandler/configure(channel:settings:phases:)``).
///
/// Guarantees:
/// - One request at a time per connection, in order: pipelined requests wait in `queue` (bounded by
///   one socket read, as the client is not read again until the queue drains).
/// - Bodies stream both ways: the client is read only while the upstream is writable and the
///   upstream only while the client is writable, so memory per exchange stays bounded.
/// - An upstream connection goes back to the pool only after a clean exchange (whole request sent,
///   whole response read, keep-alive on both ends); after any error it is closed.
/// - Every request the engine answers itself gets a short plain-text body saying what failed.
/// - One timer per connection, re-armed lazily, enforces the header, idle and upstream timeouts.
/// The mode supplies decisions through ``ProxyPhases``; the engine knows nothing about modes.
/// Assumes `autoRead` is off (the engine decides when to read).
package final class HTTP1ProxyHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamConnectionDelegate {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = ByteBuffer

    enum Phase {
        case awaitingHead, filtering, connecting, awaitingResponse, streamingResponse, local, upgraded, closed
    }

    let settings: HTTPEngineSettings
    let phases: any ProxyPhases
    let pool: UpstreamPool
    /// Removed on a WebSocket upgrade.
    let requestDecoder: ByteToMessageHandler<HTTPRequestDecoder>?
    let observer: ClientBytesObserver?

    var context: ChannelHandlerContext!
    var phase = Phase.awaitingHead
    var queue = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    var clientAddress: SocketAddress?
    var clientIP: String?
    var quiescing = false

    // Timer state.
    var timer: Scheduled<Void>?
    var timerDeadline: NIODeadline?
    var idleSince: NIODeadline = .now()
    var lastActivity: NIODeadline = .now()
    var headStartedAt: NIODeadline?
    /// Bytes of the current head seen so far, and where its request line ended (nil: not yet).
    var headBytesSeen = 0
    var requestLineLength: Int?
    var requestsServed = 0

    // The current request.
    var request: HTTPRequestHead!
    var requestFraming = MessageFraming.none
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
    var upgradeHead: RawResponseHead?

    init(
        settings: HTTPEngineSettings, phases: any ProxyPhases, pool: UpstreamPool,
        requestDecoder: ByteToMessageHandler<HTTPRequestDecoder>?, observer: ClientBytesObserver?
    ) {
        self.settings = settings
        self.phases = phases
        self.pool = pool
        self.requestDecoder = requestDecoder
        self.observer = observer
    }

    /// Builds the HTTP/1 server pipeline on an accepted (or TLS-wrapped) channel: NIO's request
    /// decoder (llhttp) parses requests; responses are written as bytes by this handler (see
    /// ``HeadWriters``). A TLS layer adds its handler first and then calls this for `http/1.1`.
    package static func configure(channel: any Channel, settings: HTTPEngineSettings, phases: any ProxyPhases) throws {
        let observer = ClientBytesObserver()
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = settings.maxHeaderSize
        limits.maxHeaderListSize = settings.maxHeaderSize
        let decoder = ByteToMessageHandler(
            HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: limits))
        let handler = HTTP1ProxyHandler(
            settings: settings, phases: phases, pool: settings.pools.pool(for: channel.eventLoop),
            requestDecoder: decoder, observer: observer)
        observer.engine = handler
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(observer)
        try sync.addHandler(decoder)
        try sync.addHandler(handler)
    }

    // MARK: Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
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
        armTimer(headStartedAt! + settings.headerTimeout)
        context.read()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if queue.isEmpty {
            switch phase {
            case .awaitingHead:
                if case .head(let head) = part {
                    startRequest(head)
                }
                // Otherwise the tail (.end) of a request already answered: nothing to do.
                return
            case .connecting, .filtering, .local:
                break
            case .awaitingResponse, .streamingResponse:
                if !requestEnded, let upstream {
                    forwardBodyPart(part, to: upstream)
                    return
                }
            case .upgraded, .closed:
                return
            }
        }
        if case .local = phase, !requestEnded {
            discardBodyPart(part)
            return
        }
        queue.append(part)
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
        if case .awaitingHead = phase, headStartedAt != nil, let deadline = headStartedAt.map({ $0 + settings.headerTimeout }) {
            armTimer(deadline)
        }
        maybeReadClient()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, pendingUpstreamRead, let upstream {
            pendingUpstreamRead = false
            upstream.read()
        }
        context.fireChannelWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
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

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            let uriTooLong = requestLineLength.map { $0 > settings.maxURISize + 32 } ?? true
            let (status, message) = Self.describe(parserError, uriTooLong: uriTooLong)
            switch phase {
            case .awaitingHead:
                request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "-")
                startedAt = .now()
                respondLocally(status, message, close: true)
            default:
                // A malformed pipelined request or body: finish what we can, then close.
                closeAfterResponse = true
                if case .streamingResponse = phase {} else if case .awaitingResponse = phase {} else {
                    respondLocally(status, message, close: true)
                }
            }
            return
        }
        // I/O errors (reset by the client): close; channelInactive cleans up.
        context.close(promise: nil)
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if case .awaitingHead = phase, queue.isEmpty {
                close()
            } else {
                closeAfterResponse = true
            }
            return
        }
        if let event = event as? ChannelEvent, case .inputClosed = event {
            // The client finished sending. Idle: close; mid-exchange: answer, then close.
            closeAfterResponse = true
            if case .awaitingHead = phase, queue.isEmpty { close() }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    static func describe(_ error: HTTPParserError, uriTooLong: Bool) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow:
            return uriTooLong
                ? (.uriTooLong, "request URI too long")
                : (.requestHeaderFieldsTooLarge, "request header section too large")
        case .unexpectedContentLength:
            return (.badRequest, "bad request: both Content-Length and Transfer-Encoding")
        case .invalidContentLength:
            return (.badRequest, "bad request: malformed Content-Length")
        default:
            return (.badRequest, "bad request: malformed HTTP (\(error))")
        }
    }

    // MARK: Reading the client

    /// True while the engine waits for (the rest of) a request head.
    var watchingHead: Bool {
        if case .awaitingHead = phase { return queue.isEmpty }
        return false
    }

    func observeHeadBytes(_ buffer: ByteBuffer) {
        lastActivity = .now()
        if headStartedAt == nil { headStartedAt = lastActivity }
        if requestLineLength == nil {
            if let index = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineLength = headBytesSeen + (index - buffer.readerIndex)
            }
        }
        headBytesSeen += buffer.readableBytes
    }

    func maybeReadClient() {
        switch phase {
        case .awaitingHead:
            if queue.isEmpty { context.read() }
        case .awaitingResponse, .streamingResponse:
            if !requestEnded, queue.isEmpty, let upstream, upstream.isWritable { context.read() }
        case .local:
            if !requestEnded { context.read() }  // discarding a body we do not need
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
