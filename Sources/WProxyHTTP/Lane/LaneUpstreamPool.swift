#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import WProxyCore

/// Idle upstream sockets of one engine thread, by upstream id: the HTTP lane's counterpart of
/// `UpstreamPool`, with the same guarantees (at most `maxIdlePerPeer` per upstream, closed after
/// `idleTimeoutMS` idle, gone at once when the upstream closes or sends anything while idle,
/// warmest first).
///
/// An idle socket stays in the engine's epoll set for reading; taking it only moves its events
/// to the lane (no system call per request). Confined to its engine thread.
final class LaneUpstreamPool: EngineDriver {
    private struct IdleSocket {
        let fd: Int32
        let since: UInt64
    }

    let maxIdlePerPeer: Int
    let idleTimeoutMS: UInt64
    private var idle: [[IdleSocket]] = []
    private var lastSweep: UInt64 = 0

    // Buffers the lanes of this thread share: each is used within one engine call (a lane that
    // must keep bytes across calls copies them), so an idle lane holds none and a busy thread
    // allocates none per request.
    /// The request head sent upstream.
    var requestOut = ByteBufferAllocator().buffer(capacity: 1024)
    /// What goes to the client: a response head and body bytes, or a local answer.
    var responseOut = ByteBufferAllocator().buffer(capacity: 4096)
    /// Response bytes read from an upstream.
    var responseIn = ByteBufferAllocator().buffer(capacity: 4096)
    /// Field arrays of the last request and response heads, reused by the next.
    var requestFields: [RawResponseHead.Field] = []
    var responseFields: [RawResponseHead.Field] = []

    init(maxIdlePerPeer: Int, idleTimeoutMS: UInt64) {
        self.maxIdlePerPeer = maxIdlePerPeer
        self.idleTimeoutMS = idleTimeoutMS
    }

    var trackerID: Int? { nil }

    func start(_ io: EngineIO) {}

    /// An idle socket to `peerID`, still watched for reading; the caller assigns it to itself.
    func take(_ peerID: Int) -> Int32? {
        guard peerID < idle.count else { return nil }
        return idle[peerID].popLast()?.fd
    }

    /// Keeps a socket whose exchange ended cleanly (or closes it when the pool is full).
    /// `watched`: it is in the epoll set already (it came from `take`).
    func give(_ fd: Int32, peerID: Int, watched: Bool, _ io: EngineIO) {
        while idle.count <= peerID { idle.append([]) }
        guard idle[peerID].count < maxIdlePerPeer else { return io.close(fd) }
        if watched {
            io.assign(fd, to: self)
        } else if !io.watch(fd, events: WPROXY_EPOLLIN, by: self) {
            return io.close(fd)
        }
        idle[peerID].append(IdleSocket(fd: fd, since: io.now))
    }

    /// An idle socket is readable: the upstream closed it (or is out of step). Drop it.
    func handle(fd: Int32, events: UInt32, _ io: EngineIO) {
        remove(fd)
        io.close(fd)
    }

    func sweep(fd: Int32, _ io: EngineIO) {
        // Called once per idle socket: one pass per sweep is enough.
        guard io.now != lastSweep else { return }
        lastSweep = io.now
        let cutoff = io.now &- idleTimeoutMS
        for peerID in idle.indices where idle[peerID].contains(where: { $0.since <= cutoff }) {
            for socket in idle[peerID] where socket.since <= cutoff { io.close(socket.fd) }
            idle[peerID].removeAll { $0.since <= cutoff }
        }
    }

    func drain(force: Bool, _ io: EngineIO) {}

    private func remove(_ fd: Int32) {
        for peerID in idle.indices {
            if let index = idle[peerID].firstIndex(where: { $0.fd == fd }) {
                idle[peerID].remove(at: index)
                return
            }
        }
    }
}
