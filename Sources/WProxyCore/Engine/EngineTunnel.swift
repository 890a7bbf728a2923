#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif

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
    var started = false
    var finished = false
    /// A close was requested (drain timeout) before the loop started the tunnel.
    var closeRequested = false
    /// Set once before the tunnel is submitted to its loop; called on the loop's thread.
    var onEnd: (@Sendable (RelayResult) -> Void)?

    /// Time already spent idle before the move, so the idle timeout keeps its meaning.
    let idleSoFarMS: UInt64

    init(client: Int32, upstream: Int32, clientSentEOF: Bool, upstreamSentEOF: Bool, bytesUp: Int, bytesDown: Int,
         idleMS: UInt64, idleSoFarMS: UInt64) {
        self.client = EngineSide(fd: client)
        self.upstream = EngineSide(fd: upstream)
        // A side that sent EOF had it passed on (the partner's write side is shut or being shut).
        self.client.sawEOF = clientSentEOF
        self.upstream.sawEOF = upstreamSentEOF
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.idleMS = idleMS
        self.idleSoFarMS = idleSoFarMS
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
