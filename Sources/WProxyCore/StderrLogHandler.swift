#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import WProxyConfig

/// Diagnostics on stderr, one line per event, as text (`TIME LEVEL message key=value`) or JSON.
/// Lines are written with a single `write(2)` so concurrent loggers never interleave within a line.
package struct StderrLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level
    private let format: LogFormat
    private let label: String

    package init(label: String, level: Logger.Level, format: LogFormat) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let keys = all.keys.sorted()
        var line: String
        switch format {
        case .text:
            line = "\(Timestamp.now()) \(event.level) \(event.message)"
            for key in keys { line += " \(key)=\(JSONText.logfmtValue("\(all[key]!)"))" }
        case .json:
            line = "{\"time\":\"\(Timestamp.now())\",\"level\":\"\(event.level)\",\"msg\":\(JSONText.quoted("\(event.message)"))"
            for key in keys { line += ",\(JSONText.quoted(key)):\(JSONText.quoted("\(all[key]!)"))" }
            line += "}"
        }
        line += "\n"
        Self.writeAll(line, to: 2)
    }

    /// Writes a whole string to a file descriptor, retrying on partial writes and EINTR.
    package static func writeAll(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

extension Logger.Level {
    package init(_ level: LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
