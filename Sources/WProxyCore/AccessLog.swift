#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import Synchronization
import WProxyConfig

/// One listener's request/tunnel records: written as access-log lines (when the log is on) and
/// counted into the listener's metrics (when metrics are on). Modes call `log` once per request
/// or tunnel; when both are off the runtime hands modes no AccessLog at all, so nothing is formatted.
package final class AccessLog: Sendable {
    private let writer: AccessLogWriter?
    private let metrics: ListenerMetrics?

    package init(writer: AccessLogWriter?, metrics: ListenerMetrics?) {
        self.writer = writer
        self.metrics = metrics
    }

    /// Records one request or tunnel; `fields` are `key=value` pairs in display order.
    package func log(_ fields: [(String, String)]) {
        writer?.write(fields)
        metrics?.record(fields)
    }
}

/// Writes access-log lines off the event loops; one per process, shared by every listener.
///
/// Event loops only append a formatted line to an in-memory batch under a short lock; a single
/// writer thread takes whole batches and writes them with one `write(2)` each, so a slow disk
/// or a blocked stdout pipe never stalls connection handling. If the writer falls far behind,
/// lines are dropped (and counted) rather than letting memory grow without bound.
package final class AccessLogWriter: Sendable {
    private struct Batch {
        var lines: [String] = []
        var bytes = 0
        var dropped = 0
        var writerScheduled = false
    }

    private let fd: Int32
    private let ownsDescriptor: Bool
    private let format: LogFormat
    private let batch = Mutex(Batch())
    private let pool: NIOThreadPool?
    private static let maxPendingBytes = 16 << 20

    /// nil when the access log is off.
    package init?(target: AccessLogTarget, format: LogFormat) throws {
        self.format = format
        switch target {
        case .off:
            return nil
        case .stdout:
            fd = 1
            ownsDescriptor = false
        case .file(let path):
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else {
                throw AccessLogError(path: path, reason: String(cString: strerror(errno)))
            }
            fd = opened
            ownsDescriptor = true
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        self.pool = pool
    }

    /// Appends one record. Cheap: formatting plus an append under a lock.
    package func write(_ fields: [(String, String)]) {
        var line = format == .json ? "{" : ""
        for (index, (key, value)) in fields.enumerated() {
            switch format {
            case .text: line += (index == 0 ? "" : " ") + key + "=" + JSONText.logfmtValue(value)
            case .json: line += (index == 0 ? "" : ",") + JSONText.quoted(key) + ":" + JSONText.quoted(value)
            }
        }
        line += format == .json ? "}\n" : "\n"
        let schedule = batch.withLock { batch -> Bool in
            guard batch.bytes < Self.maxPendingBytes else {
                batch.dropped += 1
                return false
            }
            batch.lines.append(line)
            batch.bytes += line.utf8.count
            if batch.writerScheduled { return false }
            batch.writerScheduled = true
            return true
        }
        if schedule { pool?.submit { _ in self.drain() } }
    }

    private func drain() {
        while true {
            let (lines, dropped) = batch.withLock { batch -> ([String], Int) in
                let taken = (batch.lines, batch.dropped)
                batch.lines = []
                batch.bytes = 0
                batch.dropped = 0
                if taken.0.isEmpty { batch.writerScheduled = false }
                return taken
            }
            if lines.isEmpty { return }
            var text = lines.joined()
            if dropped > 0 { text += "# access log fell behind: \(dropped) lines dropped\n" }
            StderrLogHandler.writeAll(text, to: fd)
        }
    }

    /// Writes what is pending and stops the writer thread.
    package func shutdown() async {
        try? await pool?.shutdownGracefully()
        drain()
        if ownsDescriptor { close(fd) }
    }
}

package struct AccessLogError: Error, CustomStringConvertible {
    package let path: String
    package let reason: String
    package var description: String { "cannot open access log \(path): \(reason)" }
}
