import NIOCore
import Synchronization

/// Counts and remembers the open client connections of one listener, so that
/// `--max-connections` can refuse new ones and a drain can wait for (then force-close) the rest.
package final class ConnectionTracker: Sendable {
    /// A connection handed to the tunnel engine: a tunnel, or a parked idle HTTP connection
    /// (which a drain's quiesce closes at once, like an idle keep-alive channel). Plain values
    /// stored in the dictionary: handing off allocates nothing per connection here.
    enum Handed: Sendable {
        case tunnel(EngineLoop, Int32)
        case parked(EngineLoop, Int32)
        /// Served by a mode's `EngineDriver` (the HTTP lane): a drain's quiesce lets it finish.
        case driven(EngineLoop, Int32)

        var closeOnQuiesce: Bool {
            switch self {
            case .parked, .driven: return true
            case .tunnel: return false
            }
        }

        func close(id: Int) {
            switch self {
            case .tunnel(let loop, let fd), .driven(let loop, let fd): loop.submit(.close(fd: fd, id: id))
            case .parked(let loop, let fd): loop.submit(.closeParked(fd: fd, id: id))
            }
        }

        func quiesce(id: Int) {
            switch self {
            case .driven(let loop, let fd): loop.submit(.quiesce(fd: fd, id: id))
            case .tunnel, .parked: close(id: id)
            }
        }
    }

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Tunnels handed to the tunnel engine, by id, with how to close each one.
        var tunnels: [Int: Handed] = [:]
        var nextTunnelID = 0
        var open: Int { channels.count + tunnels.count }
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limitValue: Atomic<Int>
    private let state = Mutex(State())
    private let metrics: ListenerMetrics?

    package init(limit: Int, metrics: ListenerMetrics? = nil) {
        self.limitValue = Atomic(limit)
        self.metrics = metrics
    }

    /// `--max-connections`; a reload may change it.
    package var limit: Int {
        get { limitValue.load(ordering: .relaxed) }
        set { limitValue.store(newValue, ordering: .relaxed) }
    }

    package var count: Int { state.withLock { $0.open } }

    /// Registers a new connection; false (and nothing registered) when the limit is reached.
    package func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard state.open < limitValue.load(ordering: .relaxed) else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            metrics?.connectionOpened()
            channel.closeFuture.whenComplete { _ in self.remove(channel) }
        }
        return admitted
    }

    private func remove(_ channel: any Channel) {
        let (removed, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            // Absent when the connection was handed to the tunnel engine: it is counted there now.
            guard state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return (false, []) }
            return (true, Self.takeWaitersIfEmpty(&state))
        }
        if removed { metrics?.connectionClosed() }
        for waiter in waiters { waiter.resume() }
    }

    /// Registers a connection the tunnel engine accepted itself (it has no channel); nil, with
    /// nothing registered, when the limit is reached.
    func admitHanded(_ handed: Handed) -> Int? {
        let id = state.withLock { state -> Int? in
            guard state.open < limitValue.load(ordering: .relaxed) else { return nil }
            state.nextTunnelID &+= 1
            state.tunnels[state.nextTunnelID] = handed
            return state.nextTunnelID
        }
        if id != nil { metrics?.connectionOpened() }
        return id
    }

    /// Moves a connection's entry from its channel (about to close) to an engine tunnel, which
    /// stays counted until `tunnelEnded` and is closed by `closeAll` through `close`.
    /// Nil when the channel is not tracked (it already closed).
    func handOff(_ channel: any Channel, as handed: Handed) -> Int? {
        state.withLock { state -> Int? in
            guard state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return nil }
            state.nextTunnelID &+= 1
            state.tunnels[state.nextTunnelID] = handed
            return state.nextTunnelID
        }
    }

    /// A parked connection came back as a new channel: it takes over the entry (still counted,
    /// no metrics change). False when the entry is gone (a drain closed it meanwhile).
    package func resume(_ id: Int, as channel: any Channel) -> Bool {
        let resumed = state.withLock { state -> Bool in
            guard state.tunnels.removeValue(forKey: id) != nil else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if resumed { channel.closeFuture.whenComplete { _ in self.remove(channel) } }
        return resumed
    }

    /// Any thread: a handed-off tunnel has ended.
    package func tunnelEnded(_ id: Int) {
        let (removed, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.tunnels.removeValue(forKey: id) != nil else { return (false, []) }
            return (true, Self.takeWaitersIfEmpty(&state))
        }
        if removed { metrics?.connectionClosed() }
        for waiter in waiters { waiter.resume() }
    }

    private static func takeWaitersIfEmpty(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.open == 0 else { return [] }
        defer { state.drainWaiters = [] }
        return state.drainWaiters
    }

    /// Returns once no connection is open.
    package func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open == 0 { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Tells every open connection that shutdown has begun (`ChannelShouldQuiesceEvent`), so an
    /// HTTP connection idle between requests closes now and a busy one closes after its response.
    /// Handlers that do not know the event pass it on and it is dropped at the pipeline's end.
    package func quiesceAll() {
        let (channels, parked) = state.withLock { state in
            (Array(state.channels.values), state.tunnels.filter(\.value.closeOnQuiesce))
        }
        for (id, handed) in parked { handed.quiesce(id: id) }
        for channel in channels {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
    }

    /// Closes every connection still open.
    package func closeAll() {
        let (channels, tunnels) = state.withLock { (Array($0.channels.values), $0.tunnels) }
        for channel in channels { channel.close(promise: nil) }
        for (id, handed) in tunnels { handed.close(id: id) }
    }
}
