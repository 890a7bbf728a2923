import NIOCore

/// A SOCKS5 request: `VER(5) CMD RSV ATYP DST.ADDR DST.PORT` (RFC 1928 §4).
///
/// Any CMD parses (unknown ones as `.other`) so the server can answer `0x07`. RSV is ignored when
/// read and written as zero.
package struct SOCKS5Request: Hashable, Sendable {
    package var command: SOCKSCommand
    package var target: SOCKSTarget

    package init(command: SOCKSCommand, target: SOCKSTarget) {
        self.command = command
        self.target = target
    }
}

extension ByteBuffer {
    /// Throws ``SOCKSError/invalidVersion(_:)``, ``SOCKSError/unsupportedAddressType(_:)`` (reply `0x08`),
    /// ``SOCKSError/emptyDomain`` or ``SOCKSError/invalidDomain``.
    package mutating func readSOCKS5Request() throws -> SOCKS5Request? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5Request? in
            guard try buffer.readSOCKSVersion(0x05) != nil,
                let command = buffer.readInteger(as: UInt8.self),
                buffer.readInteger(as: UInt8.self) != nil,
                let target = try buffer.readSOCKS5Target()
            else { return nil }
            return SOCKS5Request(command: SOCKSCommand(rawValue: command), target: target)
        }
    }

    @discardableResult
    package mutating func writeSOCKS5Request(_ request: SOCKS5Request) -> Int {
        self.writeInteger(UInt8(0x05)) + self.writeInteger(request.command.rawValue) + self.writeInteger(UInt8(0))
            + self.writeSOCKS5Target(request.target)
    }
}
