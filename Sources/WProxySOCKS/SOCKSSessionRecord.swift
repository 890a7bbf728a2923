import NIOCore
import WProxyCore
import WProxyProtocols

/// What the access-log line of one SOCKS session says. One line per session that reached a request
/// (SPEC: a connection that closes before choosing a destination is not logged there).
struct SOCKSSessionRecord {
    /// Formatted only when a line is written, so unlogged connections cost no string work.
    let clientAddress: SocketAddress?
    let started: NIODeadline
    var user: String?
    var version: SOCKSVersion = .v5
    var command: SOCKSCommand?
    /// The requested destination; formatted only when a line is written.
    var target: SOCKSTarget?
    var destination: String { target?.description ?? "-" }
    /// The reply code sent last: SOCKS5 REP or SOCKS4 CD (`0x5a`/`0x5b`).
    var reply: UInt8?
    var bytesUp = 0
    var bytesDown = 0

    init(clientAddress: SocketAddress?, started: NIODeadline) {
        self.clientAddress = clientAddress
        self.started = started
    }

    var commandName: String {
        switch command {
        case .connect: return "connect"
        case .bind: return "bind"
        case .udpAssociate: return "udp"
        case .other(let value): return "0x" + Self.hex(value)
        case nil: return "-"
        }
    }

    /// Notes what the client asked for.
    mutating func noteRequest(_ request: SOCKSRequest) {
        version = request.version
        command = request.command
        if let user = request.username { self.user = user }
        target = request.target
    }

    /// Notes the code of a reply about to be written (SOCKS4 codes as 0x5a/0x5b).
    mutating func noteReply(_ code: SOCKS5ReplyCode) {
        switch version {
        case .v5: reply = code.rawValue
        case .v4: reply = code == .succeeded ? 0x5A : 0x5B
        }
    }

    func fields(end: String, now: NIODeadline = .now()) -> [(String, String)] {
        let millis = max(0, (now - started).nanoseconds / 1_000_000)
        let fraction = String(millis % 1000)
        let duration = "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        return [
            ("time", Timestamp.now()), ("mode", "socks"), ("client", Listener.format(clientAddress)), ("user", user ?? "-"),
            ("command", commandName), ("destination", destination),
            ("reply", reply.map { "0x" + Self.hex($0) } ?? "-"),
            ("bytes_up", String(bytesUp)), ("bytes_down", String(bytesDown)),
            ("duration", duration), ("end", end),
        ]
    }

    private static func hex(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
