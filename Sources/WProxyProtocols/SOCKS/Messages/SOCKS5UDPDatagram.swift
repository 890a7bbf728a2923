import NIOCore

/// A datagram on a SOCKS5 UDP association: `RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA` (RFC 1928 §7).
///
/// `payload` is everything after the header. RSV is ignored when read and written as zero.
/// FRAG is carried as is; a relay that does not reassemble drops datagrams with FRAG ≠ 0.
package struct SOCKS5UDPDatagram: Hashable, Sendable {
    package var fragment: UInt8
    package var target: SOCKSTarget
    package var payload: ByteBuffer

    package init(fragment: UInt8 = 0, target: SOCKSTarget, payload: ByteBuffer) {
        self.fragment = fragment
        self.target = target
        self.payload = payload
    }
}

extension ByteBuffer {
    /// Reads one whole datagram: the header, then all remaining readable bytes as `payload`.
    /// Returns nil if the header is incomplete (for a datagram that means it is truncated: drop it).
    package mutating func readSOCKS5UDPDatagram() throws -> SOCKS5UDPDatagram? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5UDPDatagram? in
            guard buffer.readInteger(as: UInt16.self) != nil,
                let fragment = buffer.readInteger(as: UInt8.self),
                let target = try buffer.readSOCKS5Target(),
                let payload = buffer.readSlice(length: buffer.readableBytes)
            else { return nil }
            return SOCKS5UDPDatagram(fragment: fragment, target: target, payload: payload)
        }
    }

    @discardableResult
    package mutating func writeSOCKS5UDPDatagram(_ datagram: SOCKS5UDPDatagram) -> Int {
        var payload = datagram.payload
        return self.writeInteger(UInt16(0)) + self.writeInteger(datagram.fragment)
            + self.writeSOCKS5Target(datagram.target) + self.writeBuffer(&payload)
    }
}
