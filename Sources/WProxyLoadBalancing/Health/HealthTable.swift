import Synchronization

/// Health of every backend, kept apart from selection: selectors read it through their `accept`
/// predicate, probes and the proxy's passive observations write it.
///
/// Rules (HAProxy's `rise`/`fall`): every backend starts healthy. A healthy backend that fails
/// `fall` results in a row becomes unhealthy; an unhealthy one that passes `rise` in a row becomes
/// healthy again. A result that agrees with the current state resets the streak. Passive failures
/// (a refused or reset connection seen by the proxy) are recorded as ordinary failures.
///
/// Thread-safe without locks: each backend's state and streak share one atomic word, updated by
/// compare-exchange, so concurrent probes and passive failures each count once and every
/// transition is reported to exactly one caller. Ids outside `0..<count` are unhealthy and their
/// results are ignored, so a mismatched reload degrades to "no upstream" rather than a trap.
package final class HealthTable: Sendable {
    /// Word layout: bit 0 is "healthy", the bits above hold the streak of results that disagree
    /// with the current state. The streak stays below `max(rise, fall)`, as reaching the
    /// threshold flips the state and clears it.
    private final class Slot: Sendable {
        let word = Atomic<Int>(HealthTable.healthyBit)
    }

    private static let healthyBit = 1

    package let rise: Int
    package let fall: Int
    private let slots: [Slot]

    /// - Parameters:
    ///   - count: number of backend ids (`0..<count`).
    ///   - rise: passes in a row that bring a backend back (at least 1).
    ///   - fall: failures in a row that take a backend out (at least 1).
    package init(count: Int, rise: Int = 1, fall: Int = 2) {
        self.rise = max(rise, 1)
        self.fall = max(fall, 1)
        slots = (0..<max(count, 0)).map { _ in Slot() }
    }

    /// Number of backend ids tracked.
    package var count: Int { slots.count }

    package func isHealthy(_ id: Int) -> Bool {
        guard slots.indices.contains(id) else { return false }
        return slots[id].word.load(ordering: .relaxed) & Self.healthyBit != 0
    }

    /// Copies backend `otherID`'s state and streak from `other` into backend `id` (a reload keeps the
    /// health of upstreams that are still configured). Out-of-range ids are ignored.
    package func inherit(_ id: Int, from other: HealthTable, id otherID: Int) {
        guard slots.indices.contains(id), other.slots.indices.contains(otherID) else { return }
        slots[id].word.store(other.slots[otherID].word.load(ordering: .relaxed), ordering: .relaxed)
    }

    /// Records one probe result or passive failure for backend `id`.
    /// - Returns: the transition if this result changed the state, otherwise nil.
    @discardableResult
    package func record(_ id: Int, success: Bool) -> HealthTransition? {
        guard slots.indices.contains(id) else { return nil }
        let slot = slots[id]
        var current = slot.word.load(ordering: .relaxed)
        while true {
            let (next, transition) = advance(current, success: success)
            if next == current {
                return nil
            }
            let (exchanged, original) = slot.word.weakCompareExchange(
                expected: current, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged {
                return transition
            }
            current = original
        }
    }

    /// The state word after one more result, and the transition it causes.
    private func advance(_ word: Int, success: Bool) -> (Int, HealthTransition?) {
        let healthy = word & Self.healthyBit != 0
        if healthy == success {
            return (healthy ? Self.healthyBit : 0, nil)  // agrees with the state: streak resets
        }
        let streak = (word >> 1) + 1
        if healthy && streak >= fall {
            return (0, .becameUnhealthy)
        }
        if !healthy && streak >= rise {
            return (Self.healthyBit, .becameHealthy)
        }
        return ((streak << 1) | (healthy ? Self.healthyBit : 0), nil)
    }
}
