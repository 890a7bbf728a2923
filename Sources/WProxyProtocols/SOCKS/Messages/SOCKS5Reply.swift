import NIOCore

/// A SOCKS5 reply: `VER(5) REP RSV ATYP BND.ADDR BND.PORT` (RFC 1928 §6).
package struct SOCKS5Reply: Hashable, Sendable {
    package var code: SOCKS5ReplyCode
    package var bound: SOCKSTarget

    package init(code: SOCKS5ReplyCode, bound: SOCKSTarget = .unspecifiedIPv4) {
        self.code = code
        self.bound = bound
    }
}

extension ByteBuffer {
    package mutating func readSOCKS5Reply() throws -> SOCKS5Reply? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5Reply? in
            guard try buffer.readSOCKSVersion(0x05) != nil,
                let code = buffer.readInteger(as: UInt8.self),
                buffer.readInteger(as: UInt8.self) != nil,
                let bound = try buffer.readSOCKS5Target()
            else { return nil }
            return SOCKS5Reply(code: SOCKS5ReplyCode(rawValue: code), bound: bound)
        }
    }

    @discardableResult
    package mutating func writeSOCKS5Reply(_ reply: SOCKS5Reply) -> Int {
        self.writeInteger(UInt8(0x05)) + self.writeInteger(reply.code.rawValue) + self.writeInteger(UInt8(0))
            + self.writeSOCKS5Target(reply.bound)
    }
}
