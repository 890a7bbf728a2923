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
    /// Nonzero when the tunnel never started because the engine's upstream connect failed: the
    /// errno (`ETIMEDOUT` for the connect timeout). See `EngineConnect`.
    package var connectError: Int32 = 0
}

/// State shared by the two glue handlers of one tunnel. Both live on the same event loop,
/// so this needs no synchronisation; it is never touched from another thread.
final class RelaySession {
    var bytesUp = 0
    var bytesDown = 0
    var end: RelayEnd?
    var lastActivity: NIODeadline
    let started: NIODeadline
    var closedSides = 0
    var timer: Scheduled<Void>?
    let idleTimeout: TimeAmount?
    let onFinish: (RelayResult) -> Void
    /// Set when the tunnel may move to the `TunnelEngine` (see `Relay.migrate`).
    var handoff: TunnelHandoff?
    /// The tunnel now lives in the engine; the glue handlers and channels are being dropped.
    var migrated = false

    init(idleTimeout: TimeAmount?, now: NIODeadline, onFinish: @escaping (RelayResult) -> Void) {
        self.idleTimeout = idleTimeout
        self.lastActivity = now
        self.started = now
        self.onFinish = onFinish
    }

    func noteEnd(_ reason: RelayEnd) {
        if end == nil { end = reason }
    }

    /// Called once per side when its channel goes inactive.
    func sideClosed() {
        closedSides += 1
        guard closedSides == 2 else { return }
        timer?.cancel()
        timer = nil
        onFinish(RelayResult(bytesUp: bytesUp, bytesDown: bytesDown, end: end ?? .closed))
    }

    /// The next moment the timer has something to do: the idle deadline, or the next attempt to
    /// move the tunnel to the engine.
    private var nextDeadline: NIODeadline? {
        var deadline = idleTimeout.map { lastActivity + $0 }
        if handoff != nil {
            let attempt = max(started + Relay.migrateAfter, NIODeadline.now() + Relay.migrateRetry)
            deadline = min(deadline ?? attempt, attempt)
        }
        return deadline
    }

    /// Arms the tunnel's one timer. It fires at the idle deadline (re-arming itself while there is
    /// traffic, so the hot path only stores a timestamp per read) or when the tunnel is due to move
    /// to the engine.
    func armTimer(client: any Channel, upstream: any Channel, glue: (GlueHandler, GlueHandler)) {
        guard closedSides == 0, !migrated, let deadline = nextDeadline else { return }
        let eventLoop = client.eventLoop
        timer = eventLoop.assumeIsolated().scheduleTask(deadline: max(deadline, started + Relay.migrateRetry)) {
            self.timer = nil
            guard self.closedSides == 0, !self.migrated else { return }
            let now = eventLoop.now
            if let idleTimeout = self.idleTimeout, now >= self.lastActivity + idleTimeout {
                self.noteEnd(.idleTimeout)
                client.close(promise: nil)
                upstream.close(promise: nil)
                return
            }
            if self.handoff != nil, now >= self.started + Relay.migrateAfter,
               Relay.migrate(session: self, client: client, upstream: upstream, glue: glue)
            {
                return
            }
            self.armTimer(client: client, upstream: upstream, glue: glue)
        }
    }
}
