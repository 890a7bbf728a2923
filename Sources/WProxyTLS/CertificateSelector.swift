/// Picks a certificate for a TLS server name (SNI): an exact name first, then a `*.` wildcard
/// covering exactly one label, else the default (the first certificate). Names are compared
/// case-insensitively; a trailing dot in the server name is ignored. Pure and immutable.
package struct CertificateSelector: Sendable {
    private var exact: [String: Int] = [:]
    private var wildcard: [String: Int] = [:]

    /// - Parameter names: each certificate's names (DNS names and IP addresses from its SANs), in order.
    ///   An earlier certificate wins a name that several certificates carry.
    package init(names: [[String]]) {
        for (index, list) in names.enumerated() {
            for name in list {
                let lower = name.lowercased()
                if lower.hasPrefix("*.") {
                    let suffix = String(lower.dropFirst(2))
                    if wildcard[suffix] == nil { wildcard[suffix] = index }
                } else if exact[lower] == nil {
                    exact[lower] = index
                }
            }
        }
    }

    /// The index of the certificate for `serverName`, or nil when none matches (use the default).
    package func match(_ serverName: String) -> Int? {
        var name = serverName.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if let index = exact[name] { return index }
        guard let dot = name.firstIndex(of: "."), name.startIndex != dot else { return nil }
        return wildcard[String(name[name.index(after: dot)...])]
    }
}
