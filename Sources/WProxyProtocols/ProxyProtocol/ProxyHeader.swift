import NIOCore

/// The connection endpoints carried by a PROXY protocol header (haproxy `proxy-protocol.txt`).
///
/// `source` is the client as the sending proxy saw it, `destination` the address the client
/// connected to. When either is nil or is not an IP address, the header says "unknown"
/// (v1 `PROXY UNKNOWN`, v2 `PROXY` command with `AF_UNSPEC`), and the receiver uses the real
/// endpoints of its connection.
///
/// When one address is IPv4 and the other IPv6, writers send both as IPv6, mapping the IPv4
/// one to `::ffff:a.b.c.d`; a reader returns what is on the wire, so such a header reads back
/// with two `.v6` addresses.
package struct ProxyHeader: Hashable, Sendable {
    package var source: SocketAddress?
    package var destination: SocketAddress?

    package init(source: SocketAddress?, destination: SocketAddress?) {
        self.source = source
        self.destination = destination
    }

    /// A header that gives no addresses.
    package static let unknown = ProxyHeader(source: nil, destination: nil)
}

extension ProxyHeader {
    /// Packed addresses and ports as they go on the wire.
    enum Endpoints: Hashable, Sendable {
        case unknown
        /// 4-byte addresses.
        case tcp4(source: [UInt8], destination: [UInt8], sourcePort: UInt16, destinationPort: UInt16)
        /// 16-byte addresses.
        case tcp6(source: [UInt8], destination: [UInt8], sourcePort: UInt16, destinationPort: UInt16)
    }

    var endpoints: Endpoints {
        guard let source = self.source, let destination = self.destination,
            let sourceBytes = IPAddressText.packedBytes(of: source),
            let destinationBytes = IPAddressText.packedBytes(of: destination),
            let sourcePort = source.port.flatMap(UInt16.init(exactly:)),
            let destinationPort = destination.port.flatMap(UInt16.init(exactly:))
        else {
            return .unknown
        }
        switch (sourceBytes.count, destinationBytes.count) {
        case (4, 4):
            return .tcp4(
                source: sourceBytes, destination: destinationBytes,
                sourcePort: sourcePort, destinationPort: destinationPort
            )
        default:
            return .tcp6(
                source: sourceBytes.count == 4 ? IPAddressText.v4Mapped(sourceBytes) : sourceBytes,
                destination: destinationBytes.count == 4 ? IPAddressText.v4Mapped(destinationBytes) : destinationBytes,
                sourcePort: sourcePort, destinationPort: destinationPort
            )
        }
    }

    /// The header for wire-format addresses; `bytes` are 4 or 16 long and ports are in range.
    init(packedSource: [UInt8], packedDestination: [UInt8], sourcePort: UInt16, destinationPort: UInt16) {
        self.init(
            source: Self.socketAddress(packedSource, port: sourcePort),
            destination: Self.socketAddress(packedDestination, port: destinationPort)
        )
    }

    private static func socketAddress(_ packed: [UInt8], port: UInt16) -> SocketAddress? {
        // Cannot throw: callers pass 4 or 16 bytes, the only lengths it rejects are others.
        try? SocketAddress(packedIPAddress: ByteBuffer(bytes: packed), port: Int(port))
    }
}
