/// A server-name pattern for SNI routing, with nginx `server_name` semantics.
///
/// - `example.test` matches exactly that name.
/// - `*.example.test` matches any name below it (`a.example.test`, `a.b.example.test`), not `example.test`.
/// - `.example.test` matches `example.test` and any name below it.
/// - `www.example.*` matches `www.example.` followed by one or more labels (`www.example.com`, `www.example.co.uk`).
///
/// Matching ignores ASCII case and one trailing dot on either side. A `*` anywhere else is taken
/// literally, so such a pattern only ever matches itself; the configuration layer should reject it.
package struct HostPattern: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case exact
        /// `*.suffix`: `labels` holds `.suffix`.
        case subdomains
        /// `.suffix`: `labels` holds `suffix`.
        case domainAndSubdomains
        /// `prefix.*`: `labels` holds `prefix.`.
        case prefix
    }

    private let kind: Kind
    /// The fixed part of the pattern, normalized, as bytes.
    private let labels: [UInt8]

    /// The pattern as written, lowercased and without a trailing dot.
    package let pattern: String

    package init(_ pattern: String) {
        let normalized = Self.normalize(pattern)
        self.pattern = String(decoding: normalized, as: UTF8.self)
        let star = UInt8(ascii: "*")
        let dot = UInt8(ascii: ".")
        if normalized.count > 2, normalized[0] == star, normalized[1] == dot {
            self.kind = .subdomains
            self.labels = Array(normalized.dropFirst())
        } else if normalized.count > 1, normalized[0] == dot {
            self.kind = .domainAndSubdomains
            self.labels = Array(normalized.dropFirst())
        } else if normalized.count > 2, normalized[normalized.count - 1] == star, normalized[normalized.count - 2] == dot {
            self.kind = .prefix
            self.labels = Array(normalized.dropLast())
        } else {
            self.kind = .exact
            self.labels = normalized
        }
    }

    /// Whether `host` (a server name, not an address with a port) is matched by this pattern.
    package func matches(_ host: String) -> Bool {
        let host = Self.normalize(host)
        switch self.kind {
        case .exact:
            return host == self.labels
        case .subdomains:
            return host.count > self.labels.count
                && host.suffix(self.labels.count).elementsEqual(self.labels)
                && Self.isLabelSequence(host.dropLast(self.labels.count))
        case .domainAndSubdomains:
            if host == self.labels {
                return true
            }
            return host.count > self.labels.count + 1
                && host[host.count - self.labels.count - 1] == UInt8(ascii: ".")
                && host.suffix(self.labels.count).elementsEqual(self.labels)
                && Self.isLabelSequence(host.dropLast(self.labels.count + 1))
        case .prefix:
            return host.count > self.labels.count
                && host.prefix(self.labels.count).elementsEqual(self.labels)
                && Self.isLabelSequence(host.dropFirst(self.labels.count))
        }
    }

    package var description: String {
        self.pattern
    }

    /// ASCII-lowercased, without one trailing dot.
    private static func normalize(_ name: String) -> [UInt8] {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") {
            bytes.removeLast()
        }
        for index in bytes.indices where (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[index]) {
            bytes[index] += UInt8(ascii: "a") - UInt8(ascii: "A")
        }
        return bytes
    }

    /// What a wildcard may stand for: one or more labels, none of them empty.
    private static func isLabelSequence(_ part: ArraySlice<UInt8>) -> Bool {
        !part.isEmpty
            && !part.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains { $0.isEmpty }
    }
}
