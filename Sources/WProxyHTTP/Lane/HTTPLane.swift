#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// A plain-HTTP client connection served on an engine thread, on raw sockets: a busy keep-alive
/// connection without a NIO channel read, pipeline walk and write path per message. The engine
/// accepts plain reverse connections into a lane (`HTTPLaneFactory`); `HTTP1ProxyHandler+Lane`
/// moves a NIO connection back after a clean exchange.
///
/// It serves only the common case and leaves everything else to the NIO engine, which has every
/// rule: a request it takes is HTTP/1.1, bodiless, not an upgrade or `Expect`, for a plain-HTTP
/// upstream with an idle pooled socket on this thread or an IP address it can connect to itself.
/// Anything else (including a malformed head, whose error NIO answers) goes to NIO before a byte
/// of it is sent upstream: `toNIO` gives the socket a channel that reads the unanswered bytes
/// first, with the upstream chosen here (`LaneHandover`). A pooled socket that turns out to be
/// closed before any response byte arrived does the same (NIO then connects anew, as it retries a
/// stale pooled connection). Heads are read and written by the same pure code as NIO's
/// (`readRawRequestHead`, `HeadWriters`, `framing`), so both paths forward alike.
///
/// The upstream's response streams through with its framing followed (length, chunked, until
/// close); when the client does not take it all, the rest waits in `clientOut` and the upstream is
/// not read until it has gone (bounded memory). Timeouts, access-log records and least-conn
/// bookkeeping are those of the NIO path. Confined to its engine thread.
final class HTTPLane: EngineDriver {
    enum State {
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
    let eventLoop: any EventLoop
    let parking: ConnectionParking
    /// The listener's settings: one reference, not a copy, in each lane (idle lanes are many).
    let settings: LaneSettings
    let phases: any ProxyPhases
    let clientAddress: SocketAddress?
    let clientIP: String?
    var pool: LaneUpstreamPool!
    /// The upstream socket of the exchange NIO finished, for the pool (-1: none).
    var handedUpstream: (fd: Int32, peerID: Int)

    var state = State.idle
    /// Client bytes not handled yet (a partial head, pipelined requests).
    var inbound: ByteBuffer
    var clientOut: ByteBuffer?
    var clientEvents: UInt32 = 0
    var clientEOF = false
    var closeAfterResponse = false
    /// Close once `clientOut` has gone.
    var closeWhenFlushed = false
    var upstreamPaused = false
    /// The deadline of the current phase (engine milliseconds): idle or header, upstream, stall.
    var deadline: UInt64 = 0
    var headStarted = false
    /// Accepted by the engine: the first request's header timeout runs from the accept (as in NIO).
    let fresh: Bool
    /// How often this connection went from a lane to NIO (see `HTTP1ProxyHandler.maxLaneBounces`).
    let bounces: Int

    // The current exchange.
    var request = RawRequestHead.none
    var hasRequest = false
    var requestMethod = HTTPMethod.GET
    var host: String?
    var peer: UpstreamPeer?
    var upstreamFD: Int32 = -1
    /// `requestAssigned(peer, active: true)` was said for the current request.
    var assigned = false
    /// The upstream socket was connected for this request (not pooled).
    var upstreamFresh = false
    /// Response bytes kept across reads while the head is incomplete (rare: heads come whole).
    var upstreamPartial: ByteBuffer?
    var framing = MessageFraming.none
    var remaining = 0
    var chunks = ChunkedTracker()
    var upstreamReusable = true
    var responseStatus = 0
    var bytesOut = 0
    var startedAt = NIODeadline.uptimeNanoseconds(0)
    var upstreamStartedAt = NIODeadline.uptimeNanoseconds(0)
    var upstreamDuration: TimeAmount?

    init(
        handoff: DriveHandoff, upstreamPeerID: Int, settings: LaneSettings, phases: any ProxyPhases,
        clientAddress: SocketAddress?, clientIP: String?, fresh: Bool, bounces: Int = 0
    ) {
        self.fresh = fresh
        self.bounces = bounces
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

    /// A busy connection keeps its read buffer between requests (no allocation per request); one
    /// idle this long gives it up.
    static let keepBufferMS: UInt64 = 500

    /// A buffer without storage of its own (what an idle lane holds).
    static let empty = ByteBufferAllocator().buffer(capacity: 0)

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
        deadline = io.now &+ (fresh ? settings.headerTimeoutMS : settings.idleTimeoutMS)
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
        guard fd == clientFD, state != .closed else { return }
        if state == .idle, !headStarted, inbound.readableBytes == 0, inbound.capacity > 0,
           io.now &- (deadline &- settings.idleTimeoutMS) >= Self.keepBufferMS
        {
            inbound = Self.empty  // idle for a while: an idle lane holds no buffer
        }
        guard deadline != 0, io.now >= deadline else { return }
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
            closeWhenSent(io)
        }
    }

}
