import Synchronization

/// Active connections per backend id, read by `least-conn` and `p2c`.
///
/// Shared across event loops and, across a configuration reload, between the old and the new
/// selector (pass the same instance to both so that in-flight connections keep counting).
/// Every operation is one relaxed atomic on that backend's own counter; there is no lock.
///
/// The caller calls ``opened(_:)`` once when a connection to a backend is established and
/// ``closed(_:)`` exactly once when it ends. Ids outside `0..<count` are ignored (and read as 0)
/// rather than trapping, so a mismatched reload cannot take the proxy down.
package final class ConnectionCounts: Sendable {
    /// One heap object per backend keeps busy counters off each other's cache lines.
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counters: [Counter]

    package init(count: Int) {
        counters = (0..<max(count, 0)).map { _ in Counter() }
    }

    /// Number of backend ids tracked.
    package var count: Int { counters.count }

    package func opened(_ id: Int) {
        guard counters.indices.contains(id) else { return }
        counters[id].value.wrappingAdd(1, ordering: .relaxed)
    }

    package func closed(_ id: Int) {
        guard counters.indices.contains(id) else { return }
        counters[id].value.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Connections currently open to backend `id` (a momentary value under concurrency).
    package func active(_ id: Int) -> Int {
        guard counters.indices.contains(id) else { return 0 }
        return max(counters[id].value.load(ordering: .relaxed), 0)
    }
}
