import NIOCore
import WProxyConfig
import WProxyProtocols

extension SocketAddress {
    /// The IP of an IPv4 or IPv6 address, with IPv4-mapped IPv6 (`::ffff:a.b.c.d`, how a dual-stack
    /// socket shows an IPv4 peer) turned into IPv4.
    var unmappedIP: IPAddress? {
        guard let text = self.ipAddress else { return nil }
        return IPAddress(text)?.unmapped
    }

    /// The same address and port with a mapped IPv4 address in its IPv4 form, so that sockets we bind for
    /// a client (BIND, UDP ASSOCIATE) and the addresses we report are in the family the client used.
    var unmapped: SocketAddress {
        guard case .v6 = self, let ip = unmappedIP, case .v4 = ip, let port = self.port,
            let plain = try? SocketAddress(ipAddress: ip.description, port: port)
        else { return self }
        return plain
    }

    /// The address as a SOCKS BND.ADDR/BND.PORT (`0.0.0.0:0` when it has no IP form).
    var socksTarget: SOCKSTarget {
        switch self {
        case .v4(let address):
            // Straight from the sockaddr_in (family, port, address): no text round trip per connection.
            let ip = withUnsafeBytes(of: address.address) { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
            return SOCKSTarget(host: .ipv4(ip), port: UInt16(truncatingIfNeeded: self.port ?? 0))
        case .v6, .unixDomainSocket:
            return SOCKSTarget(self.unmapped) ?? .unspecifiedIPv4
        }
    }
}

extension SOCKSAddress {
    /// The IP of an `.ipv4`/`.ipv6` host, or of a `.domain` that is an IP literal; nil for a real name.
    var ipAddress: IPAddress? {
        switch self {
        case .ipv4(let value): return .v4(value)
        case .ipv6(let high, let low): return .v6(high: high, low: low)
        case .domain(let name): return IPAddress(name)
        }
    }
}

extension IPAddress {
    func socketAddress(port: Int) -> SocketAddress? {
        try? SocketAddress(ipAddress: self.description, port: port)
    }
}
