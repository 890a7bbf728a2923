/// `wproxy forward` options (SPEC "forward").
package struct ForwardOptions: Sendable {
    /// `--auth` and `--auth-file` together. Non-empty means every request needs
    /// `Proxy-Authorization: Basic` with one of these, or gets `407`.
    package var auth: [Credential] = []
    /// `--allow CIDR`: clients outside every network get `403`. Empty means every client is allowed.
    package var allow: [CIDR] = []
    /// `--deny-dest CIDR|HOST`: destinations refused with `403`.
    package var denyDest: [DestinationRule] = []
    /// `--origin-pool-size`: idle keep-alive connections kept per origin and worker thread (0 turns reuse off).
    package var originPoolSize: Int = 64
    /// `--origin-idle-timeout`: an idle pooled origin connection is closed after this long.
    package var originIdleTimeout: Duration = .seconds(30)

    package init() {}

    /// True when `address` (as NIO prints it, IPv4-mapped IPv6 included) may use the proxy.
    package func allowsClient(_ address: String?) -> Bool {
        if allow.isEmpty { return true }
        guard let address, let ip = IPAddress(address) else { return false }
        return allow.contains { $0.contains(ip) }
    }

    /// `user:password` pairs for a quick Basic check.
    package func accepts(user: String, password: String) -> Bool {
        auth.contains { $0.user == user && $0.password == password }
    }
}
