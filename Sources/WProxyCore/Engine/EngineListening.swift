#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// Accepting in the tunnel engine instead of NIO, for a listener whose mode runs its handshake
/// there (`ConnectionAcceptor.engineSessions`: SOCKS).
///
/// The listener binds its sockets with NIO as usual but never lets NIO accept on them. Each engine
/// thread watches a duplicate of each listening socket (`EPOLLEXCLUSIVE`, so one thread wakes per
/// connection), accepts, counts the connection in the listener's tracker (`--max-connections`,
/// drain, metrics) and runs the mode's `EngineSessionHandler`. A connection the session hands
/// over gets a NIO channel with the mode's handler (`reopen`), as a parked connection does.
package final class EngineListening: Sendable {
    let tracker: ConnectionTracker
    private let box: AcceptorBox
    private let group: any EventLoopGroup
    private let handoff: TunnelHandoff
    private let engine: TunnelEngine
    /// The NIO server sockets' descriptors (owned by NIO; the engine threads get duplicates).
    private let listenFDs: [Int32]
    private let stopped = Mutex(false)

    private init(
        tracker: ConnectionTracker, box: AcceptorBox, group: any EventLoopGroup, handoff: TunnelHandoff,
        engine: TunnelEngine, listenFDs: [Int32]
    ) {
        self.tracker = tracker
        self.box = box
        self.group = group
        self.handoff = handoff
        self.engine = engine
        self.listenFDs = listenFDs
    }

    /// Nil when the engine is off or a server socket's descriptor cannot be found (NIO accepts then).
    static func make(
        serverChannels: [any Channel], tracker: ConnectionTracker, box: AcceptorBox, group: any EventLoopGroup,
        handoff: TunnelHandoff
    ) -> EngineListening? {
        guard let engine = TunnelEngine.shared else { return nil }
        var fds: [Int32] = []
        for channel in serverChannels {
            guard let fd = ChannelDescriptor.listeningDescriptor(channel) else { return nil }
            fds.append(fd)
        }
        return EngineListening(
            tracker: tracker, box: box, group: group, handoff: handoff, engine: engine, listenFDs: fds)
    }

    /// Starts accepting on every engine thread.
    func start() {
        for loop in engine.allLoops {
            for fd in listenFDs {
                let copy = wproxy_dup_cloexec(fd)
                guard copy >= 0 else { continue }
                loop.submit(.listen(EngineListenSocket(fd: copy, owner: self)))
            }
        }
    }

    /// Stops accepting: returns once every engine thread has closed its duplicates, so the port
    /// is released when NIO closes its own socket.
    func stop() async {
        guard !stopped.withLock({ state in defer { state = true }; return state }) else { return }
        let loops = engine.allLoops
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let remaining = Countdown(loops.count)
            for loop in loops {
                loop.submit(.unlisten(self, done: {
                    if remaining.tick() { continuation.resume() }
                }))
            }
        }
    }

    /// The current acceptor's sessions (a reload may replace it); nil: this connection goes to NIO.
    var sessions: (any EngineSessionFactory)? { box.current.engineSessions }

    /// The current acceptor's drivers, with what a driven connection needs to go back to NIO.
    var drivers: (factory: any EngineDriverFactory, parking: ConnectionParking)? {
        guard let factory = box.current.engineDrivers, let parking = handoff.parking else { return nil }
        return (factory, parking)
    }

    /// Gives an accepted socket a NIO channel: with `resume` (a session handed it over) or with the
    /// current acceptor's handlers. The tracker entry moves to the channel.
    func reopen(fd: Int32, id: Int, resume: (@Sendable (any Channel, TunnelHandoff) throws -> Void)?) {
        let (box, handoff) = (self.box, self.handoff)
        ConnectionParking.adopt(fd: fd, id: id, on: group.next(), tracker: tracker) { channel in
            if let resume {
                try resume(channel, handoff)
            } else {
                try box.current.initializeConnection(channel, handoff: handoff)
            }
        }
    }

    /// An event loop for callbacks of tunnels started here (they run on the engine thread anyway).
    var anyEventLoop: any EventLoop { group.next() }
}

/// Counts down from `count` across threads; `tick` is true for the last one.
private final class Countdown: Sendable {
    private let remaining: Atomic<Int>

    init(_ count: Int) {
        remaining = Atomic(count)
    }

    func tick() -> Bool {
        remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0
    }
}
