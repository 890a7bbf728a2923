import NIOCore
import NIOHTTP1

extension HTTP1ProxyHandler {
    /// The deadline in force for the current phase, or nil when no timeout applies.
    var currentDeadline: NIODeadline? {
        switch phase {
        case .awaitingHead:
            if let headStartedAt { return headStartedAt + settings.headerTimeout }
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
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
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
