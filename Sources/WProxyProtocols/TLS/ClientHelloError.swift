/// Why bytes were rejected as the start of a TLS connection.
///
/// Equality and hashing compare the kind of error only (for example ``malformedExtensions``);
/// ``detail`` is diagnostic text for logs and is ignored by `==`, so tests and callers can match
/// on the static members.
package struct ClientHelloError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case notHandshakeRecord
        case unsupportedRecordVersion
        case invalidRecordLength
        case notClientHello
        case tooLarge
        case malformedClientHello
        case malformedExtensions
        case invalidServerName
    }

    private let base: Base

    /// Extra context (which field, which value). Not part of equality.
    package let detail: String

    private init(_ base: Base, detail: String = "") {
        self.base = base
        self.detail = detail
    }

    /// The first record is not a TLS handshake record (for example plain HTTP `GET /`).
    package static let notHandshakeRecord = Self(.notHandshakeRecord)
    /// The record header carries a protocol version that no TLS client sends.
    package static let unsupportedRecordVersion = Self(.unsupportedRecordVersion)
    /// A record is empty or longer than the 2^14 bytes TLS allows for plaintext.
    package static let invalidRecordLength = Self(.invalidRecordLength)
    /// The first handshake message is not a ClientHello.
    package static let notClientHello = Self(.notClientHello)
    /// The ClientHello would need more than the parser's `maxBytes`.
    package static let tooLarge = Self(.tooLarge)
    /// A length inside the ClientHello body does not fit its container.
    package static let malformedClientHello = Self(.malformedClientHello)
    /// The extensions block, or the `server_name` extension inside it, is malformed.
    package static let malformedExtensions = Self(.malformedExtensions)
    /// The `host_name` is not a plausible DNS name (non-ASCII, too long, empty labels, ...).
    package static let invalidServerName = Self(.invalidServerName)

    /// The same kind of error with diagnostic text attached.
    func with(_ detail: String) -> Self {
        Self(self.base, detail: detail)
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
        case .notHandshakeRecord: summary = "not a TLS handshake record"
        case .unsupportedRecordVersion: summary = "unsupported TLS record version"
        case .invalidRecordLength: summary = "invalid TLS record length"
        case .notClientHello: summary = "first TLS handshake message is not a ClientHello"
        case .tooLarge: summary = "TLS ClientHello too large"
        case .malformedClientHello: summary = "malformed TLS ClientHello"
        case .malformedExtensions: summary = "malformed TLS ClientHello extensions"
        case .invalidServerName: summary = "invalid TLS server name"
        }
        return self.detail.isEmpty ? summary : "\(summary): \(self.detail)"
    }
}
