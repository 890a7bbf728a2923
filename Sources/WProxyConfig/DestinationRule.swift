/// One `--deny-dest CIDR|HOST` rule: an IP network, an exact host name, or `*.suffix`.
///
/// Host names compare case-insensitively and ignore one trailing dot (`Example.COM.` is `example.com`).
/// `*.example.com` matches every name below `example.com` (`a.example.com`, `a.b.example.com`) but not
/// `example.com` itself, as in nginx `server_name`; deny both with two rules. Name rules see only names and
/// CIDR rules only addresses: a caller checking a domain destination must also check the addresses it
/// resolves to (see ``DestinationRules``).
package enum DestinationRule: Hashable, Sendable, CustomStringConvertible {
    case network(CIDR)
    case host(String)
    /// `*.example.com` is stored as `.example.com`.
    case suffix(String)

    package init(parsing text: String) throws(ConfigValueError) {
        guard !text.isEmpty else { throw ConfigValueError("empty rule: expected a CIDR, an IP or a host name") }
        if text.contains("/") || IPAddress(text) != nil {
            self = .network(try CIDR(parsing: text))
            return
        }
        var name = Self.normalized(text)
        let wildcard = name.hasPrefix("*.")
        if wildcard { name.removeFirst() }
        let labels = (wildcard ? name.dropFirst() : Substring(name)).split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }), name.utf8.count <= 255,
            name.allSatisfy({ $0.isASCII ? ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") : true })
        else {
            throw ConfigValueError("'\(text)' is not a CIDR, an IP address, a host name or *.domain")
        }
        self = wildcard ? .suffix(name) : .host(name)
    }

    /// Lowercased, without one trailing dot.
    package static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix("."), name.count > 1 { name.removeLast() }
        return name
    }

    /// For a name already passed through ``normalized(_:)``.
    package func matches(normalizedName name: String) -> Bool {
        switch self {
        case .network: return false
        case .host(let host): return name == host
        case .suffix(let suffix): return name.count > suffix.count && name.hasSuffix(suffix)
        }
    }

    package func matches(_ address: IPAddress) -> Bool {
        switch self {
        case .network(let cidr): return cidr.contains(address)
        case .host, .suffix: return false
        }
    }

    package var description: String {
        switch self {
        case .network(let cidr): return cidr.description
        case .host(let host): return host
        case .suffix(let suffix): return "*" + suffix
        }
    }
}

/// A list of ``DestinationRule``s, checked in order; any match denies.
package struct DestinationRules: Hashable, Sendable {
    package let rules: [DestinationRule]

    package init(_ rules: [DestinationRule]) {
        self.rules = rules
    }

    package var isEmpty: Bool { rules.isEmpty }

    /// True when some rule is a network, so a domain destination must be resolved and its addresses checked.
    package var hasNetworkRules: Bool {
        rules.contains { if case .network = $0 { true } else { false } }
    }

    /// Checks a destination host as the client wrote it: an IP literal against the network rules, a name
    /// against the name rules. Returns the first rule that denies it.
    package func denying(host: String) -> DestinationRule? {
        if let address = IPAddress(host) {
            return denying(address)
        }
        let name = DestinationRule.normalized(host)
        return rules.first { $0.matches(normalizedName: name) }
    }

    package func denying(_ address: IPAddress) -> DestinationRule? {
        rules.first { $0.matches(address) }
    }
}
