import Logging
import NIOCore
import NIOHTTP1
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyProtocols

/// One client connection of `wproxy forward`: absolute-form requests relayed to origins, and CONNECT tunnels.
///
/// Guarantees:
/// - One request at a time. Requests the client pipelines behind it are queued (at most one read burst)
///   and served in order after the current response ends.
/// - Bounded memory: the client is read only while the origin connection is writable, and the origin only
///   while the client is writable, so a body of any size streams through a few buffers.
/// - Every request that reaches the point of choosing a destination gets one access-log line.
/// - A failure before the response head gives the client a short plain-text status (400, 403, 407, 502,
///   504) and closes the connection; after the head it closes the connection.
/// Assumes the pipeline is request decoder, response encoder (no automatic framing), this handler, with
/// `autoRead` off.
final class ForwardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Between requests, reading.
        case idle
        /// Waiting for a connection to the origin; request parts are kept.
        case dialing
        /// Request and response flowing between client and origin.
        case exchanging
        /// CONNECT: waiting for the tunnel to the destination.
        case connecting
        /// The origin answered 101: switching both connections to a raw relay.
        case upgrading
        /// Handed to the relay; this handler is gone or going.
        case tunnelled
        case closed
    }

    let proxy: ForwardProxy
    let handoff: TunnelHandoff?
    let pool: OriginPool
    let clientAllowed: Bool
    let requestDecoder: ByteToMessageHandler<HTTPRequestDecoder>
    let responseEncoder: HTTPResponseEncoder
    var context: ChannelHandlerContext?
    var state = State.idle
    /// The client's `HOST:PORT`, formatted only when a log line needs it.
    var clientAddress: String {
        if let formatted = formattedClientAddress { return formatted }
        let formatted = Listener.format(clientSocketAddress)
        formattedClientAddress = formatted
        return formatted
    }
    var clientSocketAddress: SocketAddress?
    private var formattedClientAddress: String?

    // The request in flight.
    var method = HTTPMethod.GET
    /// `-` until a request head has been read (a malformed first request is logged with it).
    var logMethod = "-"
    var requestVersion = HTTPVersion.http1_1
    var logTarget = "-"
    var user = "-"
    var started = NIODeadline.uptimeNanoseconds(0)
    var originHead: HTTPRequestHead?
    var originKey = ""
    var originHost = ""
    var originPort = 0
    var isUpgrade = false
    var requestEnded = false
    var responseHeadSent = false
    var responseEnded = false
    var clientKeepAlive = true
    var originReusable = false
    var reusedOrigin = false
    var retried = false
    var status = 0
    var bytesUp = 0
    var bytesDown = 0
    /// Body parts of the current request that arrived before the origin connection.
    var pendingBody: [HTTPServerRequestPart] = []
    /// Parts of later (pipelined) requests.
    var queued = CircularBuffer<HTTPServerRequestPart>()
    var origin: OriginHandler?
    var originChannel: (any Channel)?
    var waitingForClientWritable = false
    /// The client half-closed after its request: no further request can come, so close after the response.
    var clientInputClosed = false
    /// Holds the client's EOF back from the decoder while a CONNECT is dialed (see `EOFHoldHandler`).
    var eofHold: EOFHoldHandler?

    // Idle timeout: one timer per connection that re-arms itself from `lastActivity`.
    var lastActivity = NIODeadline.now()
    var idleTimer: Scheduled<Void>?

    init(
        proxy: ForwardProxy, pool: OriginPool, clientAllowed: Bool,
        requestDecoder: ByteToMessageHandler<HTTPRequestDecoder>, responseEncoder: HTTPResponseEncoder,
        handoff: TunnelHandoff?
    ) {
        self.handoff = handoff
        self.proxy = proxy
        self.pool = pool
        self.clientAllowed = clientAllowed
        self.requestDecoder = requestDecoder
        self.responseEncoder = responseEncoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientSocketAddress = context.channel.remoteAddress
        lastActivity = context.eventLoop.now
        started = .now()
        armIdleTimer()
        if context.channel.isActive { context.read() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    // MARK: - Client input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(unwrapInboundIn(data))
    }

    func handle(_ part: HTTPServerRequestPart) {
        switch state {
        case .idle:
            guard case .head(let head) = part else { return }  // stray parts after a refused request
            lastActivity = NIODeadline.now()
            startRequest(head)
        case .dialing, .exchanging:
            if requestEnded {
                queued.append(part)
                return
            }
            switch part {
            case .head:
                break  // cannot happen: the decoder ends a request before the next head
            case .body(let buffer):
                bytesUp &+= buffer.readableBytes
                if case .exchanging = state {
                    originChannel?.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
                } else {
                    pendingBody.append(part)
                }
            case .end(let trailers):
                requestEnded = true
                if case .exchanging = state {
                    originChannel?.write(HTTPClientRequestPart.end(trailers), promise: nil)
                } else {
                    pendingBody.append(part)
                }
            }
        case .connecting, .upgrading, .tunnelled, .closed:
            break  // the end of a CONNECT or upgrade request; the rest belongs to the tunnel
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        lastActivity = NIODeadline.now()
        if case .exchanging = state { originChannel?.flush() }
        readClientIfWanted()
    }

    /// Reads from the client when a request may arrive, or when body bytes can go on to the origin.
    func readClientIfWanted() {
        guard let context else { return }
        switch state {
        case .idle:
            context.read()
        case .exchanging:
            if !requestEnded, originChannel?.isWritable ?? false { context.read() }
        case .dialing, .connecting, .upgrading, .tunnelled, .closed:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, waitingForClientWritable {
            waitingForClientWritable = false
            originChannel?.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            switch state {
            case .idle:
                close()
            case .dialing, .exchanging:
                // The client stopped sending; a response may still be on its way (half-close).
                clientInputClosed = true
                if !requestEnded { clientGone() }
            case .connecting, .upgrading:
                // NIO reads to the EOF as soon as the client shuts its write side, even before the
                // tunnel reads: remember it, the relay passes it on.
                clientInputClosed = true
            case .tunnelled, .closed:
                break
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            reject(.badRequest, "wproxy: malformed request: \(error)")
        } else {
            clientGone()
        }
    }

    // MARK: - Request

    private func startRequest(_ head: HTTPRequestHead) {
        started = NIODeadline.now()
        method = head.method
        logMethod = head.method.rawValue
        requestVersion = head.version
        logTarget = head.uri
        user = "-"
        status = 0
        bytesUp = 0
        bytesDown = 0
        requestEnded = false
        responseHeadSent = false
        responseEnded = false
        reusedOrigin = false
        retried = false
        isUpgrade = false
        originHead = nil
        pendingBody.removeAll(keepingCapacity: true)
        clientKeepAlive = head.isKeepAlive

        guard clientAllowed else {
            return reject(.forbidden, "wproxy: your address is not allowed to use this proxy (--allow)")
        }
        if proxy.requiresAuth {
            guard let value = head.headers.first(name: "proxy-authorization"),
                let credentials = BasicCredentials(headerValue: value),
                proxy.passwords[credentials.user] == credentials.password
            else {
                return reject(
                    .proxyAuthenticationRequired, "wproxy: proxy authentication required",
                    extraHeaders: [("Proxy-Authenticate", "Basic realm=\"wproxy\"")])
            }
            user = credentials.user
        }
        if head.method == .CONNECT {
            return startConnect(head)
        }
        let target: AbsoluteTarget
        do {
            switch try RequestTarget(parsing: head.uri, isConnect: false) {
            case .absolute(let absolute):
                target = absolute
            case .origin, .asterisk, .authority:
                return reject(.badRequest, "wproxy: this is a forward proxy: send absolute-form requests (GET http://host/path) or CONNECT host:port")
            }
        } catch {
            return reject(.badRequest, "wproxy: bad request target: \(error)")
        }
        guard target.isPlain else {
            return reject(.badRequest, "wproxy: \(target.scheme):// URLs must be tunnelled: send CONNECT \(target.authority) and speak TLS through the tunnel (curl and browsers do this for https:// URLs)")
        }
        if !proxy.denyDest.isEmpty, let rule = proxy.denyDest.denying(host: target.host) {
            return reject(.forbidden, "wproxy: destination \(target.authority) is denied (--deny-dest \(rule))")
        }
        var headers = head.headers
        let chunked = headers.isChunkedTransferEncoding
        if chunked && headers.contains(name: "content-length") {
            return reject(.badRequest, "wproxy: request has both Content-Length and Transfer-Encoding")
        }
        isUpgrade = headers.contains(name: "upgrade") && headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        headers.removeHopByHopIfPresent(keepUpgrade: isUpgrade)
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        headers.replaceOrAdd(name: "Host", value: target.hostHeader)
        headers.addVia()
        originHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: target.path, headers: headers)
        originKey = target.authority
        originHost = target.host
        originPort = target.port
        connectToOrigin(allowPooled: !isUpgrade)
    }

    /// Takes a pooled connection to the origin, or dials a new one.
    func connectToOrigin(allowPooled: Bool) {
        if allowPooled, let channel = pool.take(originKey),
            let handler = try? channel.pipeline.syncOperations.handler(type: OriginHandler.self)
        {
            attach(handler, channel: channel, reused: true)
            return
        }
        state = .dialing
        proxy.dialer.connect(host: originHost, port: originPort, on: pool.eventLoop).assumeIsolated().whenComplete {
            result in
            guard case .dialing = self.state else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let channel):
                if let refusal = self.proxy.refusal(connectedTo: channel) {
                    channel.close(promise: nil)
                    return self.reject(.forbidden, refusal)
                }
                let handler = OriginHandler(key: self.originKey, pool: self.pool)
                do {
                    try handler.install(on: channel)
                } catch {
                    channel.close(promise: nil)
                    return self.reject(.badGateway, "wproxy: cannot set up the origin connection: \(error)")
                }
                self.attach(handler, channel: channel, reused: false)
            case .failure(let error):
                self.rejectDialFailure(error)
            }
        }
    }

    /// Sends the request head (and what arrived of the body) on an origin connection.
    private func attach(_ handler: OriginHandler, channel: any Channel, reused: Bool) {
        guard let originHead else { return }
        origin = handler
        originChannel = channel
        reusedOrigin = reused
        handler.owner = self
        state = .exchanging
        channel.write(HTTPClientRequestPart.head(originHead), promise: nil)
        let parts = pendingBody
        pendingBody.removeAll(keepingCapacity: true)
        for part in parts {
            switch part {
            case .head: break
            case .body(let buffer): channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            case .end(let trailers): channel.write(HTTPClientRequestPart.end(trailers), promise: nil)
            }
        }
        channel.flush()
        channel.read()
        readClientIfWanted()
    }

    func originBecameWritable() {
        readClientIfWanted()
    }
}
