import NIOCore

/// Idle keep-alive connections to origins, kept for reuse by later requests on the same event loop.
///
/// One pool per event loop, so a connection is only ever handed to handlers on its own loop and the
/// pool needs no lock. Keyed by `host:port` (what the connection reaches, whatever route it took).
/// Guarantees: at most `maxIdlePerKey` idle connections per key (a connection offered beyond that is
/// refused, and the caller closes it); a connection idle for `idleTimeout` is closed and forgotten; the most
/// recently returned connection is handed out first, so surplus connections age out.
/// Assumes every call is made on `eventLoop`, and that the owner of a pooled connection calls
/// ``remove(_:key:)`` when it closes (the origin closed it while idle).
package final class OriginPool {
    private struct Entry {
        let channel: any Channel
        let idleSince: NIODeadline
    }

    package let eventLoop: any EventLoop
    package let maxIdlePerKey: Int
    package let idleTimeout: TimeAmount
    private var idle: [String: [Entry]] = [:]
    private var sweep: Scheduled<Void>?
    private(set) package var count = 0

    package init(eventLoop: any EventLoop, maxIdlePerKey: Int, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.maxIdlePerKey = maxIdlePerKey
        self.idleTimeout = idleTimeout
    }

    /// An idle, still-open connection to `key`, removed from the pool; nil when there is none.
    package func take(_ key: String) -> (any Channel)? {
        // Mutated in place (no copy of the array, one hash): empty lists stay until the next sweep.
        guard let index = idle.index(forKey: key) else { return nil }
        while let entry = idle.values[index].popLast() {
            count -= 1
            if entry.channel.isActive { return entry.channel }
        }
        return nil
    }

    /// Offers an idle connection; false (and nothing kept) when the key already has `maxIdlePerKey`.
    package func put(_ channel: any Channel, key: String) -> Bool {
        guard maxIdlePerKey > 0, channel.isActive else { return false }
        let index: Dictionary<String, [Entry]>.Index
        if let existing = idle.index(forKey: key) {
            index = existing
        } else {
            idle[key] = []
            index = idle.index(forKey: key)!
        }
        guard idle.values[index].count < maxIdlePerKey else { return false }
        idle.values[index].append(Entry(channel: channel, idleSince: eventLoop.now))
        count += 1
        armSweep()
        return true
    }

    /// Forgets a pooled connection (it closed); no-op when it is not in the pool.
    package func remove(_ channel: any Channel, key: String) {
        guard let index = idle.index(forKey: key),
            let position = idle.values[index].firstIndex(where: { $0.channel === channel })
        else { return }
        idle.values[index].remove(at: position)
        count -= 1
    }

    /// Closes every idle connection (shutdown).
    package func closeAll() {
        let all = idle.values.flatMap { $0 }
        idle = [:]
        count = 0
        sweep?.cancel()
        sweep = nil
        for entry in all { entry.channel.close(promise: nil) }
    }

    /// One timer for the whole pool, due when the oldest idle connection expires.
    private func armSweep() {
        guard sweep == nil, count > 0 else { return }
        let oldest = idle.values.lazy.compactMap { $0.first?.idleSince }.min() ?? eventLoop.now
        sweep = eventLoop.assumeIsolated().scheduleTask(deadline: oldest + idleTimeout) { [self] in
            sweep = nil
            expire()
            armSweep()
        }
    }

    private func expire() {
        let cutoff = eventLoop.now - idleTimeout
        var expired: [any Channel] = []
        for (key, entries) in idle {
            let kept = entries.filter { $0.idleSince > cutoff }
            if kept.count != entries.count || kept.isEmpty {
                expired += entries.filter { $0.idleSince <= cutoff }.map(\.channel)
                idle[key] = kept.isEmpty ? nil : kept
            }
        }
        count -= expired.count
        for channel in expired { channel.close(promise: nil) }
    }
}
