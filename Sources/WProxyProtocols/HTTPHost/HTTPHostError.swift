/// Why bytes were rejected as the start of an HTTP/1.x request.
///
/// Equality compares the kind only; ``detail`` is diagnostic text for logs.
package struct HTTPHostError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case notHTTP
        case tooLarge
        case malformedHeader
        case invalidHost
    }

    private let base: Base
    package let detail: String

    private init(_ base: Base, detail: String = "") {
        self.base = base
        self.detail = detail
    }

    /// The request line is not `METHOD SP TARGET SP HTTP/x.y` (TLS, SSH, binary data...).
    package static let notHTTP = Self(.notHTTP)
    /// No `Host` field and no end of the head within the parser's `maxBytes`.
    package static let tooLarge = Self(.tooLarge)
    /// A header line without a valid field name and colon.
    package static let malformedHeader = Self(.malformedHeader)
    /// The `Host` value is not a host name or IP literal with an optional port.
    package static let invalidHost = Self(.invalidHost)

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
        case .notHTTP: summary = "not an HTTP/1.x request"
        case .tooLarge: summary = "HTTP request head too large"
        case .malformedHeader: summary = "malformed HTTP header line"
        case .invalidHost: summary = "invalid HTTP Host"
        }
        return self.detail.isEmpty ? summary : "\(summary): \(self.detail)"
    }
}
