import NIOCore
import WProxyCore

/// One access-log line for one diverted connection.
struct TransparentAccessRecord {
    var client: String
    var originalDestination: String
    var sniffed: String?
    var route: String
    var bytesUp = 0
    var bytesDown = 0
    var started: NIODeadline
    var end: String

    func fields(now: NIODeadline = .now()) -> [(String, String)] {
        [
            ("time", Timestamp.now()), ("mode", "transparent"), ("client", client),
            ("original_dst", originalDestination), ("sniffed", sniffed ?? "-"), ("route", route),
            ("bytes_up", String(bytesUp)), ("bytes_down", String(bytesDown)),
            ("duration", Self.seconds(now - started)), ("end", end),
        ]
    }

    /// Seconds with millisecond precision (`0.042`), without Foundation.
    static func seconds(_ amount: TimeAmount) -> String {
        let millis = max(0, (amount.nanoseconds + 500_000) / 1_000_000)
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
