import Logging
import NIOCore
import NIOHTTP1
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyProtocols

extension ForwardHandler {
    /// Answers the current request with a short plain-text error and closes the connection.
    /// After the response head has gone out, it can only close.
    func reject(_ status: HTTPResponseStatus, _ message: String, extraHeaders: [(String, String)] = []) {
        guard let context else { return }
        switch state {
        case .closed, .tunnelled:
            return
        case .idle, .dialing, .exchanging, .connecting, .upgrading:
            break
        }
        releaseOrigin(reusable: false)
        self.status = Int(status.code)
        state = .closed
        log()
        if responseHeadSent {
            context.close(promise: nil)
            return
        }
        responseHeadSent = true
        if proxy.logger.logLevel <= .debug {
            proxy.logger.debug("\(clientAddress) \(method) \(logTarget): \(status.code) \(message)")
        }
        let response = ErrorResponse(
            status, message, close: true, extraHeaders: extraHeaders, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// A destination that could not be reached: 502, 504 for a timeout, 403 when a hop's rules refused it.
    func rejectDialFailure(_ error: any Error) {
        let dial = error as? DialError ?? DialError(target: "\(originHost):\(originPort)", classifying: error)
        let status: HTTPResponseStatus
        switch dial.kind {
        case .timedOut: status = .gatewayTimeout
        case .notAllowed: status = .forbidden
        case .dnsFailure, .refused, .networkUnreachable, .hostUnreachable, .proxyAuthRequired, .other:
            status = .badGateway
        }
        reject(status, "wproxy: cannot reach \(dial)")
    }

    /// The client closed or failed: drop the origin connection and stop.
    func clientGone() {
        switch state {
        case .tunnelled, .closed:
            return
        case .idle:
            break
        case .dialing, .exchanging, .connecting, .upgrading:
            if status == 0 || !responseEnded {
                if status == 0 { status = 499 }
                log(end: "client_closed")
            }
        }
        releaseOrigin(reusable: false)
        state = .closed
        context?.close(promise: nil)
    }

    func close() {
        state = .closed
        releaseOrigin(reusable: false)
        context?.close(promise: nil)
    }

    /// One access-log line for the current request.
    func log(end: String? = nil) {
        guard let accessLog = proxy.accessLog else { return }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        var fields: [(String, String)] = [
            ("time", Timestamp.now()), ("mode", "forward"), ("client", clientAddress), ("user", user),
            ("method", logMethod), ("target", logTarget), ("status", String(status)),
            ("bytes_up", String(bytesUp)), ("bytes_down", String(bytesDown)), ("duration", formatSeconds(seconds)),
        ]
        if let end { fields.append(("end", end)) }
        accessLog.log(fields)
    }

    // MARK: - Idle timeout

    func armIdleTimer() {
        guard let context else { return }
        let timeout = proxy.keepAliveTimeout
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + timeout) { [weak self] in
            guard let self, self.context != nil else { return }
            self.idleTimer = nil
            switch self.state {
            case .tunnelled, .closed:
                return
            case .idle, .dialing, .exchanging, .connecting, .upgrading:
                break
            }
            if NIODeadline.now() < self.lastActivity + timeout {
                return self.armIdleTimer()
            }
            switch self.state {
            case .idle:
                self.close()
            case .dialing, .connecting:
                self.armIdleTimer()  // the dialer's own timeout answers these
            case .exchanging where !self.responseHeadSent:
                self.reject(.gatewayTimeout, "wproxy: origin \(self.originKey) did not answer within \(timeout.nanoseconds / 1_000_000_000)s")
            case .exchanging, .upgrading, .tunnelled, .closed:
                self.log(end: "idle_timeout")
                self.close()
            }
        }
    }
}

/// Seconds with millisecond precision, without Foundation's String(format:).
func formatSeconds(_ seconds: Double) -> String {
    let millis = Int((seconds * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
