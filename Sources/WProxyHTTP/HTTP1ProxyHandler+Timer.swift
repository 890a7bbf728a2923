import NIOCore
import NIOHTTP1
import WProxyCore

extension HTTP1ProxyHandler {
    /// The deadline in force for the current phase, or nil when no timeout applies.
    var currentDeadline: NIODeadline? {
        switch phase {
        case .awaitingHead:
            if let headStartedAt { return headStartedAt + settings.headerTimeout }
            if canPark { return min(idleSince + Self.parkAfter, idleSince + settings.idleTimeout) }
            return idleSince + settings.idleTimeout
        case .awaitingResponse:
            // While the body is still being sent, inactivity counts; after it, the response head wait.
            return requestEnded ? upstreamStartedAt + upstreamTimeout : lastActivity + settings.idleTimeout
        case .filtering, .connecting, .streamingResponse, .local:
            return lastActivity + settings.idleTimeout
        case .upgraded, .closed:
            return nil
        }
    }

    /// Makes sure the timer fires no later than `deadline`. A timer already due earlier is left
    /// alone: when it fires it re-arms itself for whatever deadline is then in force. So a busy
    /// keep-alive connection reschedules its timer about once per timeout, not once per request.
    func armTimer(_ deadline: NIODeadline) {
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        // A strong capture on purpose: one `weak` reference gives the handler a side table, and then
        // every retain and release of it (several per request) takes Swift's slow path. The
        // cycle lasts only until the timer fires or is cancelled (channelInactive, handlerRemoved).
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            timerFired()
        }
    }

    /// A keep-alive connection idle this long is parked in the tunnel engine (see
    /// `ConnectionParking`): long enough that a busy connection never is, short enough that
    /// thousands of idle ones cost little memory.
    static let parkAfter = TimeAmount.seconds(1)

    /// Idle between requests, with nothing buffered or owed, on a plain socket.
    var canPark: Bool {
        parking != nil && !parkFailed && !quiescing && !clientEOF && (inbound?.readableBytes ?? 0) == 0
    }

    func park(remaining: TimeAmount) {
        if let parking, parking.park(context.channel, timeout: remaining) {
            phase = .closed  // the channel is closing; the socket lives on in the engine
            return
        }
        parkFailed = true
        armTimer(idleSince + settings.idleTimeout)
    }

    func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let deadline = currentDeadline else { return }
        let now = NIODeadline.now()
        guard now >= deadline else {
            armTimer(deadline)
            return
        }
        switch phase {
        case .awaitingHead:
            if headStartedAt == nil, canPark, now < idleSince + settings.idleTimeout {
                return park(remaining: idleSince + settings.idleTimeout - now)
            }
            close()  // slow or idle client: no response is owed
        case .awaitingResponse:
            if requestEnded {
                respondLocally(.gatewayTimeout, "upstream \(peer?.name ?? "") did not respond in time", close: false)
            } else {
                responseStatus = 408
                finishLog()
                abandonUpstream()
                close()
            }
        case .filtering, .connecting, .streamingResponse, .local:
            if responseStatus == 0 { responseStatus = 504 }
            finishLog()
            abandonUpstream()
            close()
        case .upgraded, .closed:
            break
        }
    }
}
