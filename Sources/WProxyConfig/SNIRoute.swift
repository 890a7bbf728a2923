/// `--sni HOST=UPSTREAM`: TLS connections whose ClientHello names HOST go to UPSTREAM.
/// HOST may start with `*.` to match any subdomain (not the bare domain), as nginx `server_name` does.
package struct SNIRoute: Hashable, Sendable {
    package var pattern: String
    package var upstream: HostPort

    package init(pattern: String, upstream: HostPort) {
        self.pattern = pattern.lowercased()
        self.upstream = upstream
    }

    package init(parsing text: String) throws(ConfigValueError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigValueError("'\(text)' is not HOST=UPSTREAM")
        }
        let pattern = String(text[..<equals])
        guard !pattern.isEmpty, !pattern.dropFirst(pattern.hasPrefix("*.") ? 2 : 0).contains("*") else {
            throw ConfigValueError("'\(pattern)' in '\(text)' is not a host name or a '*.' wildcard")
        }
        self.init(pattern: pattern, upstream: try HostPort(parsing: String(text[text.index(after: equals)...])))
    }
}
