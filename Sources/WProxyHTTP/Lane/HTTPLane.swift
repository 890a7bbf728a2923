#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// A plain-HTTP keep-alive client connection served on an engine thread, on raw sockets: the
/// steady state of a busy reverse-proxy connection without a NIO channel read, pipeline walk and
/// write path per message (`HTTP1ProxyHandler+Lane` hands a connection over after a clean exchange).
///
/// It serves only the common case and leaves everything else to the NIO engine, which has every
/// rule: a request it takes is HTTP/1.1, bodiless, not an upgrade or `Expect`, for a plain-HTTP
/// upstream with an idle pooled socket on this thread. Anything else (including a malformed
/// head, whose error NIO answers) goes back to NIO before a byte of it is sent upstream:
/// `toNIO` gives the socket a channel that reads the unanswered bytes first. A pooled socket that
/// turns out to be closed before any response byte arrived does the same (NIO then connects anew,
/// as it retries a stale pooled connection). Heads are read and written by the same pure code as
/// NIO's (`readRawRequestHead`, `HeadWriters`, `framing`), so both paths forward alike.
///
/// The upstream's response streams through with its framing followed (length, chunked, until
/// close); when the client does not take it all, the rest waits in `clientOut` and the upstream is
/// not read until it has gone (bounded memory). Timeouts, access-log records and least-conn
/// bookkeeping are those of the NIO path. Confined to its engine thread.
final class HTTPLane: EngineDriver {
    private enum State {
        /// Between requests (maybe with part of the next head in `inbound`).
        case idle
        /// Connecting to the upstream (none was pooled); the request is sent once connected.
        case connecting
        case awaitingResponse
        case streaming
        case closed
    }

    let clientFD: Int32
    let id: Int
    private let eventLoop: any EventLoop
    private let parking: ConnectionParking
    private let settings: HTTPEngineSettings
    private let phases: any ProxyPhases
    private let clientAddress: SocketAddress?
    private let clientIP: String?
    private var pool: LaneUpstreamPool!
    /// The upstream socket of the exchange NIO finished, for the pool (-1: none).
    private var handedUpstream: (fd: Int32, peerID: Int)

    private var state = State.idle
    /// Client bytes not handled yet (a partial head, pipelined requests).
    private var inbound: ByteBuffer
    private var clientOut: ByteBuffer?
    private var clientEvents: UInt32 = 0
    private var clientEOF = false
    private var closeAfterResponse = false
    /// Close once `clientOut` has gone.
    private var closeWhenFlushed = false
    private var upstreamPaused = false
    /// The deadline of the current phase (engine milliseconds): idle or header, upstream, stall.
    private var deadline: UInt64 = 0
    private var headStarted = false
    /// Accepted by the engine: the first request's header timeout runs from the accept (as in NIO).
    private let fresh: Bool

    // The current exchange.
    private var request = RawRequestHead.none
    private var hasRequest = false
    private var requestMethod = HTTPMethod.GET
    private var host: String?
    private var peer: UpstreamPeer?
    private var upstreamFD: Int32 = -1
    /// `requestAssigned(peer, active: true)` was said for the current request.
    private var assigned = false
    /// The upstream socket was connected for this request (not pooled).
    private var upstreamFresh = false
    /// Response bytes kept across reads while the head is incomplete (rare: heads come whole).
    private var upstreamPartial: ByteBuffer?
    private var framing = MessageFraming.none
    private var remaining = 0
    private var chunks = ChunkedTracker()
    private var upstreamReusable = true
    private var responseStatus = 0
    private var bytesOut = 0
    private var startedAt = NIODeadline.uptimeNanoseconds(0)
    private var upstreamStartedAt = NIODeadline.uptimeNanoseconds(0)
    private var upstreamDuration: TimeAmount?

    init(
        handoff: DriveHandoff, upstreamPeerID: Int, settings: HTTPEngineSettings, phases: any ProxyPhases,
        clientAddress: SocketAddress?, clientIP: String?, fresh: Bool
    ) {
        self.fresh = fresh
        clientFD = handoff.clientFD
        id = handoff.id
        eventLoop = handoff.eventLoop
        parking = handoff.parking
        handedUpstream = (handoff.upstreamFD, upstreamPeerID)
        self.settings = settings
        self.phases = phases
        self.clientAddress = clientAddress
        self.clientIP = clientIP
        inbound = Self.empty
    }

    /// A buffer without storage of its own (what an idle lane holds).
    private static let empty = ByteBufferAllocator().buffer(capacity: 0)

    var trackerID: Int? { id }

    // MARK: Engine events

    func start(_ io: EngineIO) {
        pool = settings.pools.lanePool(for: io.threadKey)
        if handedUpstream.fd >= 0 {
            pool.give(handedUpstream.fd, peerID: handedUpstream.peerID, watched: false, io)
            handedUpstream.fd = -1
        }
        clientEvents = WPROXY_EPOLLIN
        guard io.watch(clientFD, events: clientEvents, by: self) else {
            state = .closed
            io.close(clientFD)
            parking.driverEnded(id)
            return
        }
        headStarted = fresh
        deadline = io.now &+ Self.ms(fresh ? settings.headerTimeout : settings.idleTimeout)
    }

    func handle(fd: Int32, events: UInt32, _ io: EngineIO) {
        guard state != .closed else { return }
        if fd == clientFD {
            if events & WPROXY_EPOLLOUT != 0, clientOut != nil {
                flushClient(io)
                if state == .closed { return }
            }
            if clientEvents & WPROXY_EPOLLIN != 0, events & (WPROXY_EPOLLIN | WPROXY_EPOLLHUP | WPROXY_EPOLLERR) != 0 {
                readClient(io)
            } else if events & (WPROXY_EPOLLHUP | WPROXY_EPOLLERR) != 0 {
                clientGone(io)  // gone while we were not reading it
            }
        } else if fd == upstreamFD {
            if state == .connecting { connectReady(io) } else { readUpstream(io) }
        }
    }

    func sweep(fd: Int32, _ io: EngineIO) {
        guard fd == clientFD, state != .closed, deadline != 0, io.now >= deadline else { return }
        switch state {
        case .idle:
            close(io)  // idle, or a head that took too long: no response is owed (as in NIO)
        case .connecting:
            connectFailed(ETIMEDOUT, io)
        case .awaitingResponse:
            respondLocally(.gatewayTimeout, "upstream \(peer?.name ?? "") did not respond in time", io)
        case .streaming:
            log()  // the head is out: a stalled response can only end with a close
            abort(io)
        case .closed:
            break
        }
    }

    func drain(force: Bool, _ io: EngineIO) {
        guard state != .closed else { return }
        if force {
            if state != .idle, responseStatus == 0 { responseStatus = 499 }
            if state != .idle { log() }
            return abort(io)
        }
        closeAfterResponse = true
        if state == .idle, inbound.readableBytes == 0 {
            closeWhenFlushed = true
            if clientOut == nil { close(io) }
        }
    }

    // MARK: Client

    private func readClient(_ io: EngineIO) {
        let scratch = io.scratch
        let count = wproxy_recv(clientFD, scratch.baseAddress, UInt(scratch.count))
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return clientGone(io)
        }
        if count == 0 {
            clientEOF = true
            closeAfterResponse = true
            if state == .idle { return close(io) }
            return updateClientEvents(io)
        }
        inbound.writeBytes(UnsafeRawBufferPointer(start: scratch.baseAddress, count: count))
        if state == .idle {
            process(io)
        } else {
            // Pipelined: kept for after this response (NIO keeps the same bound).
            updateClientEvents(io)
        }
    }

    /// The client reset or failed: end everything (the exchange is logged as NIO logs it, 499).
    private func clientGone(_ io: EngineIO) {
        if state != .idle {
            if responseStatus == 0 { responseStatus = 499 }
            log()
        }
        abort(io)
    }

    private func updateClientEvents(_ io: EngineIO) {
        var wanted: UInt32 = 0
        if !clientEOF && inbound.readableBytes < HTTP1ProxyHandler.maxPipelinedBytes && clientOut == nil { wanted |= WPROXY_EPOLLIN }
        if clientOut != nil { wanted |= WPROXY_EPOLLOUT }
        guard wanted != clientEvents else { return }
        clientEvents = wanted
        io.modify(clientFD, events: wanted)
    }

    /// The next request in `inbound`, if whole: served here, or the connection goes back to NIO.
    private func process(_ io: EngineIO) {
        guard inbound.readableBytes > 0, clientOut == nil, !closeWhenFlushed else { return updateClientEvents(io) }
        var buffer = inbound
        let head: RawRequestHead
        do {
            guard let length = try buffer.rawRequestHeadLength(maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize) else {
                if !headStarted {
                    headStarted = true
                    deadline = io.now &+ Self.ms(settings.headerTimeout)
                }
                return updateClientEvents(io)
            }
            head = try buffer.readRawRequestHead(
                length: length, maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize, reusing: &pool.requestFields)
        } catch {
            return toNIO(io)  // NIO answers the error (and logs it)
        }
        guard let facts = try? head.facts(), phases.laneProxies(head),
            case .peer(let chosen) = phases.upstreamPeer(head, clientAddress: clientAddress, tried: TriedUpstreams())
        else {
            return toNIO(io)  // NIO answers (an error, a static file, 404, 503)
        }
        let pooled = facts.isUpgrade || chosen.security != nil ? nil : pool.take(chosen.id)
        guard head.versionMinor == 1, case .none = facts.framing, !facts.isUpgrade,
            facts.expect == nil, head.method != .CONNECT, chosen.security == nil
        else {
            // NIO serves it, with the upstream chosen here (and its pooled socket): one pick per
            // request, and the pool's socket is not left idle while NIO connects another.
            return toNIO(io, handover: .chosen(chosen, pooled ?? -1))
        }
        var connecting = false
        let fd: Int32
        if let pooled {
            fd = pooled
            upstreamFresh = false
        } else {
            upstreamFresh = true
            switch Self.dial(chosen, settings: settings) {
            case .started(let started):
                fd = started
                connecting = true
            case .failed(let error):
                phases.upstreamResult(chosen, success: false)
                return toNIO(io, handover: .dialFailed(chosen, error))
            case .notHere:
                return toNIO(io, handover: .chosen(chosen, -1))  // a name or an upstream proxy: NIO dials
            }
        }
        // The request is the lane's from here on.
        if phases.logsRequests { startedAt = .now() }
        inbound = buffer
        if !facts.keepAlive { closeAfterResponse = true }  // `Connection: close`: answered, then closed
        request = head
        hasRequest = true
        requestMethod = head.method
        host = facts.host
        peer = chosen
        upstreamFD = fd
        upstreamReusable = true
        upstreamPartial = nil
        responseStatus = 0
        bytesOut = 0
        upstreamDuration = nil
        if connecting {
            state = .connecting
            guard io.watch(fd, events: WPROXY_EPOLLOUT, by: self) else { return connectFailed(errno, io) }
            deadline = io.now &+ Self.ms(settings.dialer.connectTimeout)
            return updateClientEvents(io)
        }
        io.assign(fd, to: self)
        sendRequest(io)
    }

    private enum Dial {
        case started(Int32)
        case failed(DialError.Kind)
        /// Not an IP address, or through an upstream proxy: NIO's dialer does it.
        case notHere
    }

    /// Starts a connect to `peer` the engine can finish (an IP address, no upstream proxy).
    private static func dial(_ peer: UpstreamPeer, settings: HTTPEngineSettings) -> Dial {
        guard settings.dialer.hops.isEmpty, let address = try? SocketAddress(ipAddress: peer.host, port: peer.port),
            let start = EngineConnect.start(to: address)
        else { return .notHere }
        switch start {
        case .started(let fd, _): return .started(fd)
        case .failed(let error): return .failed(DialError(target: peer.name, errno: error).kind)
        }
    }

    /// The connect finished (writable) or failed.
    private func connectReady(_ io: EngineIO) {
        let error = wproxy_socket_error(upstreamFD)
        guard error == 0 else { return connectFailed(error, io) }
        if let peer { phases.upstreamResult(peer, success: true) }
        io.modify(upstreamFD, events: WPROXY_EPOLLIN)
        sendRequest(io)
    }

    /// The connect failed (`ETIMEDOUT` at the deadline): passive health counts it, and NIO carries
    /// on with the request as after its own failed attempt (retries, or 502/504).
    private func connectFailed(_ error: Int32, _ io: EngineIO) {
        io.close(upstreamFD)
        upstreamFD = -1
        guard let peer else { return toNIO(io) }
        phases.upstreamResult(peer, success: false)
        toNIO(io, handover: .dialFailed(peer, DialError(target: peer.name, errno: error).kind))
    }

    /// Writes the request head to the upstream socket (pooled and idle, or just connected: it
    /// takes a head at once) and waits for the response.
    private func sendRequest(_ io: EngineIO) {
        guard let chosen = peer else { return }
        let fd = upstreamFD
        pool.requestOut.clear()
        let forwarded = ForwardedInfo(clientIP: clientIP, proto: settings.scheme, host: host)
        let hostOverride = settings.sendUpstreamHost ? chosen.hostHeader : nil
        if let policy = chosen.policy, policy.rewritesRequest {
            HeadWriters.writeUpstreamRequest(
                policy.upstreamHead(request), into: &pool.requestOut, forwarded: forwarded, hostOverride: hostOverride,
                defaultHost: chosen.hostHeader, keepUpgrade: false, framing: .none, dropExpect: false)
        } else {
            HeadWriters.writeUpstreamRequest(
                request, into: &pool.requestOut, forwarded: forwarded, hostOverride: hostOverride,
                defaultHost: chosen.hostHeader, keepUpgrade: false, framing: .none, dropExpect: false)
        }
        let sent = pool.requestOut.withUnsafeReadableBytes { wproxy_send(fd, $0.baseAddress, UInt($0.count)) }
        guard sent == pool.requestOut.readableBytes else {
            // A stale pooled socket: NIO sends the request again on a fresh connection.
            io.close(fd)
            upstreamFD = -1
            return toNIO(io)
        }
        phases.requestAssigned(chosen, active: true)
        assigned = true
        state = .awaitingResponse
        let timeout = chosen.policy?.upstreamTimeout ?? settings.upstreamTimeout
        deadline = io.now &+ Self.ms(timeout)
        if phases.logsRequests { upstreamStartedAt = .now() }
        updateClientEvents(io)
    }

    // MARK: Upstream

    private func readUpstream(_ io: EngineIO) {
        guard state == .awaitingResponse || state == .streaming else { return }
        let scratch = io.scratch
        let count = wproxy_recv(upstreamFD, scratch.baseAddress, UInt(scratch.count))
        if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        if count <= 0 { return upstreamEnded(io) }
        let bytes = UnsafeRawBufferPointer(start: scratch.baseAddress, count: count)
        if state == .awaitingResponse {
            if upstreamPartial != nil {
                upstreamPartial!.writeBytes(bytes)
                readResponseHead(upstreamPartial!, io)
            } else {
                pool.responseIn.clear()
                pool.responseIn.writeBytes(bytes)
                readResponseHead(pool.responseIn, io)
            }
        } else {
            relayBody(bytes, io)
        }
    }

    /// `received`: the response bytes so far (the thread's buffer, or the lane's partial head).
    private func readResponseHead(_ received: ByteBuffer, _ io: EngineIO) {
        var buffer = received
        let head: RawResponseHead
        do {
            while true {
                guard let length = try buffer.rawResponseHeadLength(limit: UpstreamConnection.maxHeadSize) else {
                    // Kept in storage of the lane's own (the thread's buffer serves other lanes).
                    var partial = ByteBufferAllocator().buffer(capacity: buffer.readableBytes + 1024)
                    partial.writeImmutableBuffer(buffer)
                    upstreamPartial = partial
                    return
                }
                let next = try buffer.readRawResponseHead(length: length, reusing: &pool.responseFields)
                if next.status >= 100 && next.status < 200 && next.status != 101 { continue }  // 100, 103: the final head follows
                head = next
                break
            }
        } catch {
            return respondLocally(.badGateway, "bad gateway: \(error.reason)", io)
        }
        upstreamPartial = nil
        defer { pool.responseFields = head.fields }
        guard head.status != 101 else {
            return respondLocally(.badGateway, "bad gateway: upstream switched protocols without being asked", io)
        }
        let keepAlive: Bool
        do {
            (framing, keepAlive) = try head.framing(requestMethod: requestMethod)
        } catch {
            return respondLocally(.badGateway, "bad gateway: \(error.reason)", io)
        }
        if !keepAlive { upstreamReusable = false }
        if phases.logsRequests { upstreamDuration = .now() - upstreamStartedAt }
        let clientFraming: HeadWriters.ClientFraming
        switch framing {
        case .none: clientFraming = .none
        case .contentLength: clientFraming = .contentLength
        case .chunked: clientFraming = .chunked
        case .untilClose:
            clientFraming = .close
            closeAfterResponse = true
        }
        responseStatus = head.status
        if case .contentLength(let length) = framing { remaining = length }
        state = .streaming
        deadline = io.now &+ Self.ms(settings.idleTimeout)
        pool.responseOut.clear()
        if let policy = peer?.policy, policy.rewritesResponse {
            HeadWriters.writeClientResponse(
                policy.clientHead(head), into: &pool.responseOut, framing: clientFraming, keepAlive: !closeAfterResponse,
                clientIsHTTP10: false)
        } else {
            HeadWriters.writeClientResponse(
                head, into: &pool.responseOut, framing: clientFraming, keepAlive: !closeAfterResponse, clientIsHTTP10: false)
        }
        // Body bytes that came with the head go out with it, in one send.
        var done = false
        var failed = false
        buffer.withUnsafeReadableBytes { body in
            (done, failed) = takeBody(body, into: &pool.responseOut)
        }
        if !sendClient(&pool.responseOut, io) { return }
        if failed { return abort(io) }
        if done { finishExchange(io) }
    }

    /// Response body bytes as read (after the head): what belongs to the response is appended to
    /// `out`; bytes past its end make the socket unusable. Returns (response complete, malformed).
    private func takeBody(_ body: UnsafeRawBufferPointer, into out: inout ByteBuffer) -> (Bool, Bool) {
        switch framing {
        case .none:
            if body.count > 0 { upstreamReusable = false }
            return (true, false)
        case .contentLength(let length):
            _ = length  // (`remaining` counts down from it)
            let take = min(remaining, body.count)
            if take > 0 { out.writeBytes(UnsafeRawBufferPointer(rebasing: body[0..<take])) }
            remaining -= take
            bytesOut += take
            if take < body.count { upstreamReusable = false }
            return (remaining == 0, false)
        case .chunked:
            let consumed: Int
            do {
                consumed = try chunks.consume(body) { _ in }
            } catch {
                return (false, true)
            }
            if consumed > 0 { out.writeBytes(UnsafeRawBufferPointer(rebasing: body[0..<consumed])) }
            bytesOut += consumed
            guard chunks.isDone else { return (false, false) }
            if consumed < body.count { upstreamReusable = false }
            return (true, false)
        case .untilClose:
            upstreamReusable = false
            if body.count > 0 { out.writeBytes(body) }
            bytesOut += body.count
            return (false, false)
        }
    }

    private func relayBody(_ bytes: UnsafeRawBufferPointer, _ io: EngineIO) {
        deadline = io.now &+ Self.ms(settings.idleTimeout)
        pool.responseOut.clear()
        let (done, failed) = takeBody(bytes, into: &pool.responseOut)
        if !sendClient(&pool.responseOut, io) { return }
        if failed { return abort(io) }
        if done { finishExchange(io) }
    }

    /// The upstream closed (or failed) its socket.
    private func upstreamEnded(_ io: EngineIO) {
        io.close(upstreamFD)
        upstreamFD = -1
        unassign()
        switch state {
        case .awaitingResponse:
            // Nothing reached the client. A pooled socket was stale: NIO sends the request again on
            // a fresh connection. A fresh one was reset: the upstream's fault (passive health), and
            // NIO goes on as after a reset of its own (a retry elsewhere, or 502).
            guard upstreamFresh, let peer else { return toNIO(io) }
            phases.upstreamResult(peer, success: false)
            return toNIO(io, handover: .failed(peer, .badGateway, "upstream \(peer.name) closed the connection before responding"))
        case .streaming:
            if case .untilClose = framing {
                log()
                endExchange()
                closeWhenFlushed = true
                if clientOut == nil { close(io) }
                return
            }
            log()  // the head is out: the client learns of the failure by the close
            closeWhenFlushed = true
            endExchange()
            if clientOut == nil { close(io) }
        case .idle, .connecting, .closed:
            break
        }
    }

    // MARK: Ending exchanges

    private func finishExchange(_ io: EngineIO) {
        unassign()
        if let peer {
            if upstreamReusable {
                pool.give(upstreamFD, peerID: peer.id, watched: true, io)
            } else {
                io.close(upstreamFD)
            }
        }
        upstreamFD = -1
        log()
        endExchange()
        if closeAfterResponse {
            closeWhenFlushed = true
            if clientOut == nil { close(io) }
            return
        }
        deadline = io.now &+ Self.ms(settings.idleTimeout)
        process(io)
    }

    /// Back to idle: the request's bytes are released (their field array is kept for the next).
    private func endExchange() {
        state = .idle
        headStarted = false
        if hasRequest {
            pool.requestFields = request.fields
            request = .none
            hasRequest = false
        }
        upstreamPartial = nil
        // An idle lane keeps no buffer (a busy one allocates one per request for its head).
        if inbound.readableBytes == 0 { inbound = Self.empty }
        peer = nil
        framing = .none
        remaining = 0
        chunks = ChunkedTracker()
    }

    /// A short plain-text error (502, 504) for the current request, before any response byte went
    /// out; the connection stays open, as in NIO.
    private func respondLocally(_ status: HTTPResponseStatus, _ message: String, _ io: EngineIO) {
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        unassign()
        let response = ErrorResponse(status, message, close: closeAfterResponse)
        responseStatus = Int(status.code)
        bytesOut = response.body.readableBytes
        pool.responseOut.clear()
        HeadWriters.writeLocalResponse(response.head, into: &pool.responseOut)
        if requestMethod != .HEAD {
            var body = response.body
            pool.responseOut.writeBuffer(&body)
        }
        log()
        endExchange()
        if !sendClient(&pool.responseOut, io) { return }
        if closeAfterResponse {
            closeWhenFlushed = true
            if clientOut == nil { close(io) }
            return
        }
        deadline = io.now &+ Self.ms(settings.idleTimeout)
        process(io)
    }

    /// Ends the current request's least-conn count, once.
    private func unassign() {
        guard assigned else { return }
        assigned = false
        if let peer { phases.requestAssigned(peer, active: false) }
    }

    private func log() {
        guard phases.logsRequests, hasRequest else { return }
        phases.logging(ProxyAccessRecord(
            client: clientIP ?? "-", method: request.method.rawValue, host: host ?? "-", path: request.uri,
            status: responseStatus, upstream: peer?.name ?? "-", bytesIn: 0, bytesOut: bytesOut,
            duration: .now() - startedAt, upstreamDuration: upstreamDuration))
    }

    // MARK: Writing to the client

    /// Sends `bytes` (after anything still queued). What the socket does not take waits in
    /// `clientOut`, and the upstream is not read until it has gone. False when the client is gone
    /// (the lane has ended).
    private func sendClient(_ bytes: inout ByteBuffer, _ io: EngineIO) -> Bool {
        guard bytes.readableBytes > 0 else { return true }
        if clientOut != nil {
            clientOut!.writeBuffer(&bytes)
            return true
        }
        let sent = bytes.withUnsafeReadableBytes { wproxy_send(clientFD, $0.baseAddress, UInt($0.count)) }
        if sent == bytes.readableBytes { return true }
        if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
            clientGone(io)
            return false
        }
        bytes.moveReaderIndex(forwardBy: max(sent, 0))
        clientOut = bytes
        bytes = Self.empty  // the queued bytes are `clientOut`'s now
        if upstreamFD >= 0 && !upstreamPaused {
            upstreamPaused = true
            io.modify(upstreamFD, events: 0)
        }
        updateClientEvents(io)
        return true
    }

    private func flushClient(_ io: EngineIO) {
        guard var out = clientOut else { return }
        let sent = out.withUnsafeReadableBytes { wproxy_send(clientFD, $0.baseAddress, UInt($0.count)) }
        if sent < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return clientGone(io)
        }
        out.moveReaderIndex(forwardBy: sent)
        if sent > 0, state == .streaming { deadline = io.now &+ Self.ms(settings.idleTimeout) }
        if out.readableBytes > 0 {
            clientOut = out
            return
        }
        clientOut = nil
        if closeWhenFlushed { return close(io) }
        if upstreamPaused, upstreamFD >= 0 {
            upstreamPaused = false
            io.modify(upstreamFD, events: WPROXY_EPOLLIN)
        }
        updateClientEvents(io)
        if state == .idle { process(io) }
    }

    // MARK: Leaving

    /// Gives the connection back to NIO with the bytes not answered yet (the current request's,
    /// then what followed it). `preassigned`: the upstream chosen for the next request, with a
    /// pooled socket to it (or -1), which NIO then uses instead of picking again.
    private func toNIO(_ io: EngineIO, handover: LaneHandover.Start? = nil) {
        var replay = ByteBufferAllocator().buffer(capacity: 0)
        if hasRequest { replay.writeImmutableBuffer(request.bytes) }
        replay.writeImmutableBuffer(inbound)
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        endExchange()
        state = .closed
        io.forget(clientFD)
        var prepare: (@Sendable (any Channel) throws -> Void)?
        if let handover {
            if case .chosen(_, let fd) = handover, fd >= 0 { io.forget(fd) }  // NIO's epoll takes it over
            prepare = { channel in
                guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP1ProxyHandler.self) else {
                    if case .chosen(_, let fd) = handover, fd >= 0 { Glibc.close(fd) }
                    return
                }
                switch handover {
                case .chosen(let peer, let fd):
                    let connection = fd < 0 ? nil : ConnectionParking.adoptUpstream(fd: fd, on: channel.eventLoop)
                        .flatMapThrowing { try UpstreamConnection.install(on: $0, peerID: peer.id, directWrites: true) }
                    handler.handover = .chosen(peer, connection)
                case .failed(let peer, let status, let message):
                    handler.handover = .failed(peer, status, message)
                }
            }
        }
        parking.reopen(fd: clientFD, id: id, on: eventLoop, replay: replay, prepare: prepare)
    }

    /// Closes the connection after a clean end.
    private func close(_ io: EngineIO) {
        abort(io)
    }

    /// Closes both sockets (an upstream in the middle of an exchange cannot be reused).
    private func abort(_ io: EngineIO) {
        guard state != .closed else { return }
        unassign()
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        state = .closed
        clientOut = nil
        io.close(clientFD)
        parking.driverEnded(id)
    }

    private static func ms(_ amount: TimeAmount) -> UInt64 {
        UInt64(max(amount.nanoseconds / 1_000_000, 1))
    }
}

/// Starts connections the engine accepted on a plain-HTTP reverse listener in the lane.
package struct HTTPLaneFactory: EngineDriverFactory {
    let settings: HTTPEngineSettings
    let phases: any ProxyPhases

    package init(settings: HTTPEngineSettings, phases: any ProxyPhases) {
        self.settings = settings
        self.phases = phases
    }

    package func makeDriver(_ handoff: DriveHandoff, client: SocketAddress?) -> any EngineDriver {
        HTTPLane(
            handoff: handoff, upstreamPeerID: 0, settings: settings, phases: phases, clientAddress: client,
            clientIP: client?.ipAddress, fresh: true)
    }
}
