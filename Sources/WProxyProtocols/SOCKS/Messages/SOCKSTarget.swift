import NIOCore

/// A host and port: the destination a client asks for, or the address a server reports as bound.
package struct SOCKSTarget: Hashable, Sendable {
    package var host: SOCKSAddress
    package var port: UInt16

    package init(host: SOCKSAddress, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `0.0.0.0:0`, what servers report when they have no meaningful bound address.
    package static let unspecifiedIPv4 = SOCKSTarget(host: .ipv4(0), port: 0)
}

// MARK: - NIOCore.SocketAddress

extension SOCKSTarget {
    /// The IP forms of `address`; nil for a UNIX domain socket.
    package init?(_ address: SocketAddress) {
        guard let text = address.ipAddress, let port = address.port, let port16 = UInt16(exactly: port) else {
            return nil
        }
        let host = SOCKSAddress(host: text)
        switch host {
        case .ipv4, .ipv6:
            self.init(host: host, port: port16)
        case .domain:
            return nil
        }
    }

    /// The socket address for an IP target; nil for a domain, which has to be resolved first.
    package var socketAddress: SocketAddress? {
        guard let packed = self.host.packedBytes else {
            return nil
        }
        return try? SocketAddress(packedIPAddress: ByteBuffer(bytes: packed), port: Int(self.port))
    }
}

extension SOCKSTarget: CustomStringConvertible {
    /// `host:port`, with brackets around IPv6.
    package var description: String {
        switch self.host {
        case .ipv6:
            return "[\(self.host)]:\(self.port)"
        case .ipv4, .domain:
            return "\(self.host):\(self.port)"
        }
    }
}

// MARK: - SOCKS5 wire form: ATYP, address, port

extension ByteBuffer {
    /// Reads `ATYP DST.ADDR DST.PORT` (RFC 1928 §4/§5).
    ///
    /// Throws ``SOCKSError/unsupportedAddressType(_:)`` for an unknown ATYP, ``SOCKSError/emptyDomain`` for a
    /// zero-length domain and ``SOCKSError/invalidDomain`` for one that is not UTF-8 or contains NUL.
    package mutating func readSOCKS5Target() throws -> SOCKSTarget? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKSTarget? in
            guard let addressType = buffer.readInteger(as: UInt8.self) else {
                return nil
            }
            let host: SOCKSAddress
            switch addressType {
            case SOCKSAddress.ipv4AddressType:
                guard let value = buffer.readInteger(as: UInt32.self) else { return nil }
                host = .ipv4(value)
            case SOCKSAddress.ipv6AddressType:
                guard let high = buffer.readInteger(as: UInt64.self),
                    let low = buffer.readInteger(as: UInt64.self)
                else { return nil }
                host = .ipv6(high: high, low: low)
            case SOCKSAddress.domainAddressType:
                guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
                guard length > 0 else { throw SOCKSError.emptyDomain }
                guard let bytes = buffer.readLengthPrefixedBytes() else { return nil }
                guard !bytes.contains(0), let name = String(strictUTF8: bytes) else {
                    throw SOCKSError.invalidDomain
                }
                host = .domain(name)
            default:
                throw SOCKSError.unsupportedAddressType(addressType)
            }
            guard let port = buffer.readInteger(as: UInt16.self) else {
                return nil
            }
            return SOCKSTarget(host: host, port: port)
        }
    }

    /// Writes `ATYP DST.ADDR DST.PORT`. A domain must be 1...255 UTF-8 bytes (callers check;
    /// see ``SOCKSTarget/isEncodableInSOCKS5``).
    @discardableResult
    package mutating func writeSOCKS5Target(_ target: SOCKSTarget) -> Int {
        var written: Int
        switch target.host {
        case .ipv4(let value):
            written = self.writeInteger(SOCKSAddress.ipv4AddressType) + self.writeInteger(value)
        case .ipv6(let high, let low):
            written = self.writeInteger(SOCKSAddress.ipv6AddressType) + self.writeInteger(high) + self.writeInteger(low)
        case .domain(let name):
            written = self.writeInteger(SOCKSAddress.domainAddressType) + self.writeLengthPrefixedBytes(name.utf8)
        }
        written += self.writeInteger(target.port)
        return written
    }
}

extension SOCKSTarget {
    /// False for a domain that is empty, longer than 255 UTF-8 bytes, or contains NUL.
    package var isEncodableInSOCKS5: Bool {
        switch self.host {
        case .ipv4, .ipv6:
            return true
        case .domain(let name):
            return (1...255).contains(name.utf8.count) && !name.utf8.contains(0)
        }
    }
}
