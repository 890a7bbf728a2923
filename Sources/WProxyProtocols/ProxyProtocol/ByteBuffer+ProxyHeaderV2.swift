import NIOCore

/// PROXY protocol version 2: a binary header (proxy-protocol.txt §2.2).
///
/// Layout: 12-byte signature, version/command byte, family/transport byte, 16-bit big-endian
/// length of what follows, the addresses for that family, then optional TLVs.
extension ByteBuffer {
    /// `\r\n\r\n\0\r\nQUIT\n`.
    package static let proxyHeaderV2Signature: [UInt8] = [
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
    ]
    /// The default limit on a whole v2 header (16 fixed bytes plus addresses and TLVs).
    package static let proxyHeaderV2DefaultMaxLength = 4096

    static let proxyHeaderV2FixedLength = 16
    private static let proxyV2VersionCommandProxy: UInt8 = 0x21
    private static let proxyV2FamilyUnspecified: UInt8 = 0x00
    private static let proxyV2FamilyTCP4: UInt8 = 0x11
    private static let proxyV2FamilyTCP6: UInt8 = 0x21

    /// Writes `header` as a v2 `PROXY` command: TCP over IPv4 (`0x11`), TCP over IPv6 (`0x21`),
    /// or `AF_UNSPEC` with no addresses when the header is unknown. No TLVs are written.
    ///
    /// - Returns: the number of bytes written (16, 28 or 52).
    @discardableResult
    package mutating func writeProxyHeaderV2(_ header: ProxyHeader) -> Int {
        var written = self.writeBytes(Self.proxyHeaderV2Signature)
        written += self.writeInteger(Self.proxyV2VersionCommandProxy)
        switch header.endpoints {
        case .unknown:
            written += self.writeInteger(Self.proxyV2FamilyUnspecified)
            written += self.writeInteger(UInt16(0))
        case .tcp4(let source, let destination, let sourcePort, let destinationPort):
            written += self.writeInteger(Self.proxyV2FamilyTCP4)
            written += self.writeInteger(UInt16(4 + 4 + 2 + 2))
            written += self.writeBytes(source)
            written += self.writeBytes(destination)
            written += self.writeInteger(sourcePort)
            written += self.writeInteger(destinationPort)
        case .tcp6(let source, let destination, let sourcePort, let destinationPort):
            written += self.writeInteger(Self.proxyV2FamilyTCP6)
            written += self.writeInteger(UInt16(16 + 16 + 2 + 2))
            written += self.writeBytes(source)
            written += self.writeBytes(destination)
            written += self.writeInteger(sourcePort)
            written += self.writeInteger(destinationPort)
        }
        return written
    }

    /// Reads a v2 header.
    ///
    /// A `LOCAL` command, `AF_UNSPEC`, UDP and Unix-socket addresses all give ``ProxyHeader/unknown``
    /// (the spec lets a receiver fall back to the real endpoints for those). After a `PROXY`
    /// command, TLVs are checked for framing and skipped; after `LOCAL` the block is discarded unread.
    ///
    /// - Parameter maxLength: the largest whole header accepted, 16 fixed bytes included.
    /// - Returns: the header, or nil when the bytes so far are a valid prefix of one.
    /// - Throws: ``ProxyProtocolError`` as soon as the bytes cannot be a v2 header.
    /// The reader index moves past the header on success and stays put on nil or throw.
    package mutating func readProxyHeaderV2(
        maxLength: Int = ByteBuffer.proxyHeaderV2DefaultMaxLength
    ) throws(ProxyProtocolError) -> ProxyHeader? {
        let signature = Self.proxyHeaderV2Signature
        let start = self.readerIndex
        let available = self.readableBytesView.prefix(signature.count)
        guard available.elementsEqual(signature.prefix(available.count)) else {
            throw .notProxyProtocol.with("v2 signature mismatch")
        }
        guard let versionCommand = self.getInteger(at: start + 12, as: UInt8.self) else { return nil }
        guard versionCommand >> 4 == 2 else {
            throw .unsupportedVersion.with("version \(versionCommand >> 4)")
        }
        let command = versionCommand & 0x0F
        guard command <= 1 else {
            throw .unsupportedCommand.with("command \(command)")
        }
        guard let family = self.getInteger(at: start + 13, as: UInt8.self) else { return nil }
        let addressFamily = family >> 4  // 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX
        let transport = family & 0x0F  // 0 UNSPEC, 1 STREAM, 2 DGRAM
        // LOCAL ignores the family byte entirely, so only a PROXY command is checked.
        guard command == 0 || (addressFamily <= 3 && transport <= 2) else {
            throw .unsupportedAddressFamily.with("family byte 0x\(String(family, radix: 16))")
        }
        guard let length = self.getInteger(at: start + 14, as: UInt16.self) else { return nil }
        let total = Self.proxyHeaderV2FixedLength + Int(length)
        guard total <= maxLength else {
            throw .headerTooLong.with("\(total) bytes exceeds the \(maxLength)-byte limit")
        }
        guard var payload = self.getSlice(at: start + Self.proxyHeaderV2FixedLength, length: Int(length)) else {
            return nil
        }

        guard command == 1 else {
            // LOCAL: a connection the proxy made itself (a health check); discard the whole block.
            self.moveReaderIndex(forwardBy: total)
            return .unknown
        }

        let addressLength: Int
        switch addressFamily {
        case 1: addressLength = 4 + 4 + 2 + 2
        case 2: addressLength = 16 + 16 + 2 + 2
        case 3: addressLength = 108 + 108
        default: addressLength = 0
        }
        guard let addresses = payload.readSlice(length: addressLength) else {
            throw .malformedHeader.with("\(length) bytes cannot hold the addresses of family byte 0x\(String(family, radix: 16))")
        }
        try Self.skipProxyHeaderV2TLVs(payload)

        let header: ProxyHeader
        if transport == 1, addressFamily == 1 || addressFamily == 2 {
            header = Self.parseProxyHeaderV2Addresses(addresses, addressLength: addressFamily == 1 ? 4 : 16)
        } else {
            header = .unknown
        }
        self.moveReaderIndex(forwardBy: total)
        return header
    }

    private static func parseProxyHeaderV2Addresses(_ addresses: ByteBuffer, addressLength: Int) -> ProxyHeader {
        var addresses = addresses
        // Cannot fail: the caller sliced exactly 2 * addressLength + 4 bytes.
        guard let source = addresses.readBytes(length: addressLength),
            let destination = addresses.readBytes(length: addressLength),
            let sourcePort = addresses.readInteger(as: UInt16.self),
            let destinationPort = addresses.readInteger(as: UInt16.self)
        else {
            return .unknown
        }
        return ProxyHeader(
            packedSource: source, packedDestination: destination,
            sourcePort: sourcePort, destinationPort: destinationPort
        )
    }

    /// Checks that the rest of the payload is a sequence of type / 16-bit length / value records.
    private static func skipProxyHeaderV2TLVs(_ tlvs: ByteBuffer) throws(ProxyProtocolError) {
        var tlvs = tlvs
        while tlvs.readableBytes > 0 {
            guard tlvs.readInteger(as: UInt8.self) != nil,
                let length = tlvs.readInteger(as: UInt16.self),
                tlvs.readSlice(length: Int(length)) != nil
            else {
                throw .malformedHeader.with("TLV overflows the header")
            }
        }
    }
}
