import NIOCore

/// How a relayed tunnel ended, for the access log.
package enum RelayEnd: String, Sendable {
    /// Both sides finished normally (each sent EOF, or one closed after the other).
    case closed
    /// No bytes either way for the idle timeout.
    case idleTimeout = "idle_timeout"
    /// One side failed (reset, I/O error).
    case error
    /// The proxy closed it (shutdown drain, forced close).
    case aborted
}

/// What one tunnel moved, reported once when both of its channels have closed.
package struct RelayResult: Sendable {
    /// Bytes read from the client and written upstream.
    package var bytesUp: Int
    /// Bytes read from the upstream and written to the client.
    package var bytesDown: Int
    package var end: RelayEnd
}

/// State shared by the two glue handlers of one tunnel. Both live on the same event loop,
/// so this needs no synchronisation; it is never touched from another thread.
final class RelaySession {
    var bytesUp = 0
    var bytesDown = 0
    var end: RelayEnd?
    var lastActivity: NIODeadline
    var closedSides = 0
    var idleCheck: Scheduled<Void>?
    let idleTimeout: TimeAmount?
    let onFinish: (RelayResult) -> Void

    init(idleTimeout: TimeAmount?, now: NIODeadline, onFinish: @escaping (RelayResult) -> Void) {
        self.idleTimeout = idleTimeout
        self.lastActivity = now
        self.onFinish = onFinish
    }

    func noteEnd(_ reason: RelayEnd) {
        if end == nil { end = reason }
    }

    /// Called once per side when its channel goes inactive.
    func sideClosed() {
        closedSides += 1
        guard closedSides == 2 else { return }
        idleCheck?.cancel()
        idleCheck = nil
        onFinish(RelayResult(bytesUp: bytesUp, bytesDown: bytesDown, end: end ?? .closed))
    }

    /// Arms the idle timer: it fires at `lastActivity + timeout` and re-arms itself while there is
    /// traffic, so the hot path only stores a timestamp per read instead of rescheduling a timer.
    func armIdleTimer(on eventLoop: any EventLoop, closing channels: [any Channel]) {
        guard let idleTimeout, closedSides < 2 else { return }
        let deadline = lastActivity + idleTimeout
        idleCheck = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            if eventLoop.now >= self.lastActivity + idleTimeout {
                self.noteEnd(.idleTimeout)
                for channel in channels { channel.close(promise: nil) }
            } else {
                self.armIdleTimer(on: eventLoop, closing: channels)
            }
        }
    }
}
