/// Why bytes were rejected as a PROXY protocol header.
///
/// Equality and hashing compare the kind of error only; ``detail`` is diagnostic text for logs.
package struct ProxyProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case notProxyProtocol
        case headerTooLong
        case malformedHeader
        case unsupportedVersion
        case unsupportedCommand
        case unsupportedAddressFamily
        case invalidAddress
        case invalidPort
    }

    private let base: Base

    /// Extra context (which field, which value). Not part of equality.
    package let detail: String

    private init(_ base: Base, detail: String = "") {
        self.base = base
        self.detail = detail
    }

    /// The bytes start with neither the v1 `PROXY ` nor the v2 signature.
    package static let notProxyProtocol = Self(.notProxyProtocol)
    /// A v1 line longer than 107 bytes, or a v2 header longer than the reader's limit.
    package static let headerTooLong = Self(.headerTooLong)
    /// The header does not follow the grammar (fields, separators, lengths, TLV framing).
    package static let malformedHeader = Self(.malformedHeader)
    /// A v2 version nibble other than 2.
    package static let unsupportedVersion = Self(.unsupportedVersion)
    /// A v2 command other than LOCAL (0) or PROXY (1).
    package static let unsupportedCommand = Self(.unsupportedCommand)
    /// A v1 protocol other than TCP4/TCP6/UNKNOWN, or a v2 family/transport byte the spec does not define.
    package static let unsupportedAddressFamily = Self(.unsupportedAddressFamily)
    /// An address that is not valid text for its family.
    package static let invalidAddress = Self(.invalidAddress)
    /// A port that is not a decimal number in 0...65535.
    package static let invalidPort = Self(.invalidPort)

    /// The same kind of error with diagnostic text attached.
    func with(_ detail: String) -> Self {
        Self(self.base, detail: detail)
    }

    /// Peer bytes quoted for a log line: printable ASCII kept, anything else as `?`, at most 64 bytes.
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
        case .notProxyProtocol: summary = "not a PROXY protocol header"
        case .headerTooLong: summary = "PROXY protocol header too long"
        case .malformedHeader: summary = "malformed PROXY protocol header"
        case .unsupportedVersion: summary = "unsupported PROXY protocol version"
        case .unsupportedCommand: summary = "unsupported PROXY protocol command"
        case .unsupportedAddressFamily: summary = "unsupported PROXY protocol address family"
        case .invalidAddress: summary = "invalid address in PROXY protocol header"
        case .invalidPort: summary = "invalid port in PROXY protocol header"
        }
        return self.detail.isEmpty ? summary : "\(summary): \(self.detail)"
    }
}
