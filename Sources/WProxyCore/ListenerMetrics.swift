import CoreMetrics
import Metrics
import Synchronization

/// The SPEC's metrics for one listener, through the swift-metrics facade (Prometheus when
/// `--metrics` is set; no-ops otherwise). Handles are created once here, so the hot path only
/// increments atomics.
package final class ListenerMetrics: Sendable {
    private let listener: String
    private let connectionsTotal: Counter
    private let connectionsActive: Meter
    private let bytesUp: Counter
    private let bytesDown: Counter
    private let duration: Metrics.Timer
    private let requestsByCode = Mutex<[String: Counter]>([:])

    package init(listener: String, mode: String) {
        self.listener = listener
        let labels = [("listener", listener), ("mode", mode)]
        connectionsTotal = Counter(label: "wproxy_connections_total", dimensions: labels)
        connectionsActive = Meter(label: "wproxy_connections_active", dimensions: labels)
        bytesUp = Counter(label: "wproxy_bytes_total", dimensions: [("listener", listener), ("direction", "up")])
        bytesDown = Counter(label: "wproxy_bytes_total", dimensions: [("listener", listener), ("direction", "down")])
        duration = Metrics.Timer(label: "wproxy_request_duration_seconds", dimensions: [("listener", listener)])
    }

    package func connectionOpened() {
        connectionsTotal.increment()
        connectionsActive.increment()
    }

    package func connectionClosed() {
        connectionsActive.decrement()
    }

    /// Counts one request or tunnel from its access-log record: the code is `status` (HTTP),
    /// `reply` (SOCKS) or `end` (tunnels); bytes from `bytes_up`/`bytes_down` (or `bytes_in`/`bytes_out`).
    package func record(_ fields: [(String, String)]) {
        var code = "-"
        var codeRank = 0
        for (key, value) in fields {
            switch key {
            case "status" where codeRank < 3: code = value; codeRank = 3
            case "reply" where codeRank < 2: code = value; codeRank = 2
            case "end" where codeRank < 1: code = value; codeRank = 1
            case "bytes_up", "bytes_in": if let count = Int64(value), count > 0 { bytesUp.increment(by: count) }
            case "bytes_down", "bytes_out": if let count = Int64(value), count > 0 { bytesDown.increment(by: count) }
            case "duration":
                if let seconds = Double(value), seconds >= 0 { duration.recordNanoseconds(Int64(seconds * 1e9)) }
            default: break
            }
        }
        counter(code: code).increment()
    }

    private func counter(code: String) -> Counter {
        requestsByCode.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: "wproxy_requests_total", dimensions: [("listener", listener), ("code", code)])
            counters[code] = counter
            return counter
        }
    }

    /// `wproxy_upstream_healthy{upstream}`: 1 while an upstream is in rotation, 0 while it is out.
    package static func setUpstreamHealthy(_ upstream: String, _ healthy: Bool) {
        Gauge(label: "wproxy_upstream_healthy", dimensions: [("upstream", upstream)]).record(healthy ? 1 : 0)
    }
}
