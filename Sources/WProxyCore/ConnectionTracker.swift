import NIOCore
import Synchronization

/// Counts and remembers the open client connections of one listener, so that
/// `--max-connections` can refuse new ones and a drain can wait for (then force-close) the rest.
package final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
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

    package var count: Int { state.withLock { $0.channels.count } }

    /// Registers a new connection; false (and nothing registered) when the limit is reached.
    package func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard state.channels.count < limitValue.load(ordering: .relaxed) else { return false }
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
        metrics?.connectionClosed()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.channels.removeValue(forKey: ObjectIdentifier(channel))
            guard state.channels.isEmpty else { return [] }
            defer { state.drainWaiters = [] }
            return state.drainWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no connection is open.
    package func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
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
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
    }

    /// Closes every connection still open.
    package func closeAll() {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }
}
