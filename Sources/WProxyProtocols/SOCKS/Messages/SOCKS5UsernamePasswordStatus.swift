import NIOCore

/// RFC 1929 status reply: `VER(1) STATUS`. STATUS 0 is success; anything else is failure and the
/// server closes the connection.
package struct SOCKS5UsernamePasswordStatus: Hashable, Sendable {
    package var status: UInt8

    package init(status: UInt8) {
        self.status = status
    }

    package static let success = SOCKS5UsernamePasswordStatus(status: 0x00)
    package static let failure = SOCKS5UsernamePasswordStatus(status: 0x01)

    package var succeeded: Bool { self.status == 0x00 }
}

extension ByteBuffer {
    package mutating func readSOCKS5UsernamePasswordStatus() throws -> SOCKS5UsernamePasswordStatus? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5UsernamePasswordStatus? in
            guard try buffer.readSOCKSVersion(0x01) != nil,
                let status = buffer.readInteger(as: UInt8.self)
            else { return nil }
            return SOCKS5UsernamePasswordStatus(status: status)
        }
    }

    @discardableResult
    package mutating func writeSOCKS5UsernamePasswordStatus(_ status: SOCKS5UsernamePasswordStatus) -> Int {
        self.writeInteger(UInt8(0x01)) + self.writeInteger(status.status)
    }
}
