/// Why an HTTP CONNECT request could not be built, or a proxy's response head was rejected.
///
/// Equality and hashing compare the kind of error only; ``detail`` is diagnostic text for logs.
package struct HTTPConnectError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case invalidHost
        case invalidPort
        case invalidCredentials
        case malformedStatusLine
        case malformedHeader
        case headTooLarge
    }

    private let base: Base

    /// Extra context (which field, which value). Not part of equality.
    package let detail: String

    private init(_ base: Base, detail: String = "") {
        self.base = base
        self.detail = detail
    }

    /// The target host is not a DNS name, an IPv4 address or an IPv6 address (it would break the request line).
    package static let invalidHost = Self(.invalidHost)
    /// The target port is outside 1...65535.
    package static let invalidPort = Self(.invalidPort)
    /// The user name contains `:`, which Basic authentication cannot carry.
    package static let invalidCredentials = Self(.invalidCredentials)
    /// The response does not start with `HTTP/1.x NNN`.
    package static let malformedStatusLine = Self(.malformedStatusLine)
    /// A response header line is not `name: value`.
    package static let malformedHeader = Self(.malformedHeader)
    /// No blank line ended the response head within the byte limit.
    package static let headTooLarge = Self(.headTooLarge)

    /// The same kind of error with diagnostic text attached.
    func with(_ detail: String) -> Self {
        Self(self.base, detail: detail)
    }

    /// Peer or caller bytes quoted for a log line: printable ASCII kept, anything else as `?`, at most 64 bytes.
    static func quoted<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let printable = bytes.prefix(64).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }
        return "\"" + String(decoding: printable, as: UTF8.self) + (bytes.count > 64 ? "…\"" : "\"")
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.base == rhs.base
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.base)
    }

    package var description: String {
        let summary: String
        switch self.base {
        case .invalidHost: summary = "invalid CONNECT target host"
        case .invalidPort: summary = "invalid CONNECT target port"
        case .invalidCredentials: summary = "invalid proxy credentials"
        case .malformedStatusLine: summary = "malformed status line in CONNECT response"
        case .malformedHeader: summary = "malformed header in CONNECT response"
        case .headTooLarge: summary = "CONNECT response head too large"
        }
        return self.detail.isEmpty ? summary : "\(summary): \(self.detail)"
    }
}
