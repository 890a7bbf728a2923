import NIOCore
import Synchronization

/// Idle upstream connections of one event loop, by upstream id.
///
/// Guarantees: at most `maxIdlePerPeer` idle connections per upstream; a connection idle for
/// `idleTimeout` is closed; a connection that closes while idle leaves the pool at once; `take`
/// returns the most recently used connection (warmest). Only connections whose previous exchange
/// ended cleanly (whole request sent, whole response read, keep-alive) are ever released here.
/// Not thread-safe: every call must be made on `eventLoop` (one pool per loop needs no lock).
package final class UpstreamPool {
    package let eventLoop: any EventLoop
    package let maxIdlePerPeer: Int
    package let idleTimeout: TimeAmount
    private var idle: [[UpstreamConnection]] = []
    private var sweep: Scheduled<Void>?
    private var idleCount = 0

    package init(eventLoop: any EventLoop, maxIdlePerPeer: Int = 256, idleTimeout: TimeAmount = .seconds(30)) {
        self.eventLoop = eventLoop
        self.maxIdlePerPeer = maxIdlePerPeer
        self.idleTimeout = idleTimeout
    }

    /// An idle, open connection to `peerID`, if any.
    package func take(_ peerID: Int) -> UpstreamConnection? {
        eventLoop.assertInEventLoop()
        guard peerID < idle.count else { return nil }
        while let connection = idle[peerID].popLast() {
            idleCount -= 1
            connection.pool = nil
            if connection.isActive { return connection }
        }
        return nil
    }

    /// Keeps a connection whose exchange ended cleanly, or closes it when the pool is full.
    package func release(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        connection.delegate = nil
        guard connection.isActive, connection.canBeReused else {
            connection.close()
            return
        }
        connection.markIdle()
        let peerID = connection.peerID
        while idle.count <= peerID { idle.append([]) }
        guard idle[peerID].count < maxIdlePerPeer else {
            connection.close()
            return
        }
        connection.pool = self
        connection.idleSince = .now()
        idle[peerID].append(connection)
        idleCount += 1
        connection.read()  // notice a close while idle
        if sweep == nil { scheduleSweep() }
    }

    /// Called by a connection that closed while idle.
    func remove(_ connection: UpstreamConnection) {
        connection.pool = nil
        guard connection.peerID < idle.count,
            let index = idle[connection.peerID].firstIndex(where: { $0 === connection })
        else { return }
        idle[connection.peerID].remove(at: index)
        idleCount -= 1
    }

    /// Number of idle connections (for tests).
    package var count: Int { idleCount }

    /// Closes every idle connection (shutdown).
    package func closeAll() {
        for list in idle {
            for connection in list { connection.close() }
        }
        idle = idle.map { _ in [] }
        idleCount = 0
        sweep?.cancel()
        sweep = nil
    }

    private func scheduleSweep() {
        let interval = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 2, 1_000_000))
        sweep = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: interval) { [weak self] in
            self?.runSweep()
        }
    }

    private func runSweep() {
        sweep = nil
        let cutoff = NIODeadline.now() - idleTimeout
        for peerID in idle.indices {
            let expired = idle[peerID].filter { $0.idleSince <= cutoff }
            guard !expired.isEmpty else { continue }
            idle[peerID].removeAll { $0.idleSince <= cutoff }
            idleCount -= expired.count
            for connection in expired {
                connection.pool = nil
                connection.close()
            }
        }
        if idleCount > 0 { scheduleSweep() }
    }
}

/// One `UpstreamPool` per event loop, created on first use. Looked up once per client connection.
package final class UpstreamPools: Sendable {
    /// Pools are only ever used on their own loop; the box only carries them across the lock.
    private struct Box: @unchecked Sendable {
        let pool: UpstreamPool
    }

    private let pools = Mutex<[ObjectIdentifier: Box]>([:])
    private let maxIdlePerPeer: Int
    private let idleTimeout: TimeAmount

    package init(maxIdlePerPeer: Int = 256, idleTimeout: TimeAmount = .seconds(30)) {
        self.maxIdlePerPeer = maxIdlePerPeer
        self.idleTimeout = idleTimeout
    }

    private struct LaneBox: @unchecked Sendable {
        let pool: LaneUpstreamPool
    }

    private let lanePools = Mutex<[ObjectIdentifier: LaneBox]>([:])

    /// The HTTP lane's pool on the engine thread `threadKey` (`EngineIO.threadKey`). Must be
    /// called on that thread (once per lane).
    func lanePool(for threadKey: ObjectIdentifier) -> LaneUpstreamPool {
        lanePools.withLock { pools in
            if let box = pools[threadKey] { return box.pool }
            let pool = LaneUpstreamPool(
                maxIdlePerPeer: maxIdlePerPeer, idleTimeoutMS: UInt64(max(idleTimeout.nanoseconds / 1_000_000, 1)))
            pools[threadKey] = LaneBox(pool: pool)
            return pool
        }
    }

    /// The pool of `eventLoop`. Must be called on that loop.
    package func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(eventLoop)
        let box = pools.withLock { pools -> Box in
            if let box = pools[key] { return box }
            let box = Box(pool: UpstreamPool(eventLoop: eventLoop, maxIdlePerPeer: maxIdlePerPeer, idleTimeout: idleTimeout))
            pools[key] = box
            return box
        }
        return box.pool
    }
}
