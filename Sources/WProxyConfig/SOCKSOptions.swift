/// `wproxy socks` options (SPEC "socks").
package struct SOCKSOptions: Sendable {
    /// `--auth` and `--auth-file` together. Non-empty means SOCKS5 clients must authenticate with
    /// RFC 1929 and every SOCKS4 request is rejected.
    package var auth: [Credential] = []
    /// `--allow CIDR`: clients whose address is outside every network are refused (reply `0x02`/`0x5B`).
    /// Empty means every client is allowed.
    package var allow: [CIDR] = []
    /// `--deny-dest CIDR|HOST`: destinations refused with reply `0x02`/`0x5B`.
    package var denyDest: [DestinationRule] = []
    /// `--handshake-timeout`: time from accept until the client's request has arrived.
    package var handshakeTimeout: Duration = .seconds(10)

    package init() {}

    /// True when `address` (as NIO prints it, IPv4-mapped IPv6 included) may use the proxy.
    package func allowsClient(_ address: String?) -> Bool {
        if allow.isEmpty { return true }
        guard let address, let ip = IPAddress(address) else { return false }
        return allow.contains { $0.contains(ip) }
    }
}
