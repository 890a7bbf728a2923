import Synchronization

/// A `Clock` whose time moves only when a test calls ``advance(by:)``, so scheduling code is
/// tested without real sleeping (as Hummingbird's tests do).
///
/// Besides the clock, it lets a test wait, without polling, until the code under test has called
/// `sleep` a given number of times, which is how a test knows a round of work has finished.
final class MockClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }
    }

    private struct Sleeper {
        let id: Int
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        let sleepCalls: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepCalls = 0
        var sleepers: [Sleeper] = []
        var cancelledIDs: Set<Int> = []
        var waiters: [Waiter] = []

        /// Removes and returns the waiters satisfied by the current number of sleep calls.
        mutating func takeSatisfiedWaiters() -> [Waiter] {
            let ready = waiters.filter { $0.sleepCalls <= sleepCalls }
            waiters.removeAll { $0.sleepCalls <= sleepCalls }
            return ready
        }
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// Deadlines of the sleeps currently waiting, earliest first.
    var pendingDeadlines: [Instant] {
        state.withLock { $0.sleepers.map(\.deadline).sorted() }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, ready) = state.withLock { state -> (Result<Void, any Error>?, [Waiter]) in
                    state.sleepCalls += 1
                    let ready = state.takeSatisfiedWaiters()
                    if state.cancelledIDs.remove(id) != nil {
                        return (.failure(CancellationError()), ready)
                    }
                    if deadline <= state.now {
                        return (.success(()), ready)
                    }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (nil, ready)
                }
                for waiter in ready { waiter.continuation.resume() }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelledIDs.insert(id)  // cancelled before it registered
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleep whose deadline has been reached.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once `sleep` has been called at least `count` times in total.
    func waitForSleepCalls(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let satisfied = state.withLock { state -> Bool in
                if state.sleepCalls >= count {
                    return true
                }
                state.waiters.append(Waiter(sleepCalls: count, continuation: continuation))
                return false
            }
            if satisfied {
                continuation.resume()
            }
        }
    }
}
