import NIOCore

#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif

/// What the event loop sends the engine to take over a tunnel. A plain value carried in the
/// engine's inbox: the tunnel's state is allocated on the engine's thread, so nothing small and
/// long-lived lands between the freed channels in the event loop's heap (which could then not be
/// handed back to the kernel, see `EngineLoop.trimHeap`).
struct TunnelRequest: Sendable {
    let clientFD: Int32
    let upstreamFD: Int32
    let id: Int
    let clientSentEOF: Bool
    let upstreamSentEOF: Bool
    let bytesUp: Int
    let bytesDown: Int
    let idleMS: UInt64
    let idleSoFarMS: UInt64
    let tracker: ConnectionTracker
    /// Set when the upstream socket is still connecting (a session's `EngineTunnelStart`): the engine
    /// finishes the connect and writes the client its reply before relaying.
    var connect: PendingConnect? = nil
    /// Bytes the client sent before the hand-off, written upstream first (counted in `bytesUp`).
    var upstreamFirst: [UInt8] = []
    /// The client socket is in the engine's epoll set already, for reading (a session's).
    var clientRegistered = false
    /// Runs on `eventLoop` when the tunnel has ended (the session's access-log callback).
    let onFinish: FinishCallback
    let eventLoop: any EventLoop

    /// On the engine's thread: report the end on the event loop, then release the tracker entry.
    func ended(_ result: RelayResult) {
        let (onFinish, tracker, id) = (self.onFinish, self.tracker, self.id)
        if onFinish.anyThread {
            onFinish.call(result)
            tracker.tunnelEnded(id)
            return
        }
        eventLoop.execute {
            onFinish.call(result)
            tracker.tunnelEnded(id)
        }
    }
}

/// The session's callback, carried to the engine and called back on its own event loop only.
/// (Not `NIOLoopBound`: storing a closure in a generic wrapper allocates a thunk per tunnel.)
struct FinishCallback: @unchecked Sendable {
    let call: (RelayResult) -> Void
    /// The callback is `@Sendable` and runs on the engine's thread: no hop back to the event loop
    /// (a wake-up and, on a busy core, a context switch per tunnel).
    var anyThread = false

    init(call: @escaping (RelayResult) -> Void) {
        self.call = call
    }

    init(sendable call: @escaping @Sendable (RelayResult) -> Void) {
        self.call = call
        self.anyThread = true
    }
}

/// One side of an engine tunnel: a socket we own and the bytes waiting to be written to it.
struct EngineSide {
    let fd: Int32
    /// We read EOF from this socket (its peer shut its write side).
    var sawEOF = false
    /// We shut this socket's write side (after its partner's EOF and once `outbox` drained).
    var shutWrite = false
    /// The epoll events currently registered for `fd`.
    var interest: UInt32 = 0
    /// Bytes read from the partner that this socket did not accept yet. Empty almost always:
    /// an idle tunnel holds no buffer at all.
    var outbox: [UInt8] = []
    var outboxOffset = 0

    init(fd: Int32) { self.fd = fd }

    var hasOutput: Bool { outboxOffset < outbox.count }
}

/// A tunnel owned by the engine: two non-blocking sockets relayed by one `EngineLoop` thread.
///
/// All state is touched only on that loop's thread (the class is handed to it once, through the
/// loop's locked inbox), hence `@unchecked Sendable`.
final class EngineTunnel: @unchecked Sendable {
    var client: EngineSide
    var upstream: EngineSide
    var bytesUp = 0
    var bytesDown = 0
    var lastActive: UInt64 = 0
    let idleMS: UInt64
    var end: RelayEnd?
    var finished = false
    /// `var` only so that what the connect needed (replies, early bytes) is dropped once it is done:
    /// a long-lived idle tunnel keeps none of it.
    var request: TunnelRequest
    /// The upstream connect is in progress until this deadline (engine milliseconds); nothing is
    /// relayed before it completes.
    var connecting = false
    var connectDeadline: UInt64 = 0
    /// Why the upstream connect failed (an errno), for `RelayResult.connectError`.
    var connectError: Int32 = 0

    /// Time already spent idle before the move, so the idle timeout keeps its meaning.
    let idleSoFarMS: UInt64

    init(_ request: TunnelRequest) {
        self.request = request
        self.client = EngineSide(fd: request.clientFD)
        self.upstream = EngineSide(fd: request.upstreamFD)
        // A side that sent EOF had it passed on (the partner's write side is shut or being shut).
        self.client.sawEOF = request.clientSentEOF
        self.upstream.sawEOF = request.upstreamSentEOF
        self.bytesUp = request.bytesUp
        self.bytesDown = request.bytesDown
        self.idleMS = request.idleMS
        self.idleSoFarMS = request.idleSoFarMS
        self.connecting = request.connect != nil
    }

    /// Side 0 is the client, side 1 the upstream.
    subscript(side: Int) -> EngineSide {
        get { side == 0 ? client : upstream }
        _modify {
            if side == 0 { yield &client } else { yield &upstream }
        }
    }

    func countRead(_ bytes: Int, from side: Int) {
        if side == 0 { bytesUp &+= bytes } else { bytesDown &+= bytes }
    }

    /// Both directions finished: each side sent EOF and everything read was delivered.
    var isComplete: Bool {
        client.sawEOF && upstream.sawEOF && !client.hasOutput && !upstream.hasOutput
    }

    /// The events each side should be registered for: readable while its partner has nothing
    /// queued (backpressure), writable while it has something queued.
    func wantedInterest(_ side: Int) -> UInt32 {
        let me = self[side]
        let partner = self[1 - side]
        var events: UInt32 = 0
        if !me.sawEOF && !partner.hasOutput { events |= WPROXY_EPOLLIN }
        if me.hasOutput { events |= WPROXY_EPOLLOUT }
        return events
    }
}
