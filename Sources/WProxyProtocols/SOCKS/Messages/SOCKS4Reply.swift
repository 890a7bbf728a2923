import NIOCore

/// A SOCKS4 reply: `VN(0) CD DSTPORT DSTIP`, always 8 bytes.
///
/// For CONNECT the port and address are ignored by clients; for BIND they name the listening socket.
package struct SOCKS4Reply: Hashable, Sendable {
    package var code: SOCKS4ReplyCode
    package var port: UInt16
    package var ipv4: UInt32

    package init(code: SOCKS4ReplyCode, port: UInt16 = 0, ipv4: UInt32 = 0) {
        self.code = code
        self.port = port
        self.ipv4 = ipv4
    }

    /// The reply for `bound`: only an `.ipv4` host can be carried; any other host is sent as 0.0.0.0.
    package init(code: SOCKS4ReplyCode, bound: SOCKSTarget) {
        switch bound.host {
        case .ipv4(let value):
            self.init(code: code, port: bound.port, ipv4: value)
        case .ipv6, .domain:
            self.init(code: code, port: bound.port, ipv4: 0)
        }
    }
}

extension ByteBuffer {
    /// Throws ``SOCKSError/invalidVersion(_:)`` unless VN is 0.
    package mutating func readSOCKS4Reply() throws -> SOCKS4Reply? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS4Reply? in
            guard try buffer.readSOCKSVersion(0x00) != nil,
                let code = buffer.readInteger(as: UInt8.self),
                let port = buffer.readInteger(as: UInt16.self),
                let ip = buffer.readInteger(as: UInt32.self)
            else { return nil }
            return SOCKS4Reply(code: SOCKS4ReplyCode(rawValue: code), port: port, ipv4: ip)
        }
    }

    @discardableResult
    package mutating func writeSOCKS4Reply(_ reply: SOCKS4Reply) -> Int {
        self.writeInteger(UInt8(0x00)) + self.writeInteger(reply.code.rawValue) + self.writeInteger(reply.port)
            + self.writeInteger(reply.ipv4)
    }
}
