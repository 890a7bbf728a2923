import NIOCore

/// An IP address and port in the form used for comparing and logging destinations.
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
/// peer) are folded to plain IPv4, so the same destination always compares and prints the same.
package struct IPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// Canonical text as `inet_ntop` writes it, without brackets.
    package let ip: String
    package let port: Int

    package init(ip: String, port: Int) {
        let mappedPrefix = "::ffff:"
        if ip.lowercased().hasPrefix(mappedPrefix), ip.dropFirst(mappedPrefix.count).contains(".") {
            self.ip = String(ip.dropFirst(mappedPrefix.count))
        } else {
            self.ip = ip
        }
        self.port = port
    }

    /// nil for addresses without an IP and port (Unix sockets).
    package init?(_ address: SocketAddress?) {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        self.init(ip: ip, port: port)
    }

    package var isIPv6: Bool { ip.contains(":") }

    /// `0.0.0.0` or `::`: a wildcard listener.
    package var isUnspecified: Bool { ip == "0.0.0.0" || ip == "::" }

    /// 127.0.0.0/8 or ::1.
    package var isLoopback: Bool { ip.hasPrefix("127.") || ip == "::1" }

    package var description: String { isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
}
