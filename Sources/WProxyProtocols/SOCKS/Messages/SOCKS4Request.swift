import NIOCore

/// A SOCKS4 or SOCKS4a request: `VN(4) CD DSTPORT DSTIP USERID NUL [DOMAIN NUL]`.
///
/// SOCKS4a is signalled by DSTIP `0.0.0.x` with x ≠ 0; the domain then follows the USERID and
/// `target.host` is `.domain`. Otherwise `target.host` is `.ipv4`. USERID and domain are capped at
/// ``maxFieldLength`` bytes so a peer cannot make us buffer without bound. Any CD parses
/// (unknown ones as `.other`) so the server can reject it with `0x5B`.
package struct SOCKS4Request: Hashable, Sendable {
    package var command: SOCKSCommand
    package var target: SOCKSTarget
    package var userID: String

    package init(command: SOCKSCommand, target: SOCKSTarget, userID: String = "") {
        self.command = command
        self.target = target
        self.userID = userID
    }

    /// The longest USERID or SOCKS4a domain accepted, excluding the terminating NUL.
    package static let maxFieldLength = 255

    /// The DSTIP a SOCKS4a client sends with a domain (`0.0.0.1`).
    static let socks4aMarker: UInt32 = 0x0000_0001
}

extension ByteBuffer {
    /// Throws ``SOCKSError/invalidVersion(_:)`` unless VN is 4, ``SOCKSError/fieldTooLong`` for an
    /// over-long USERID or domain, ``SOCKSError/emptyDomain`` and ``SOCKSError/invalidDomain``.
    package mutating func readSOCKS4Request() throws -> SOCKS4Request? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS4Request? in
            guard try buffer.readSOCKSVersion(0x04) != nil,
                let command = buffer.readInteger(as: UInt8.self),
                let port = buffer.readInteger(as: UInt16.self),
                let ip = buffer.readInteger(as: UInt32.self),
                let userID = try buffer.readNullTerminatedBytes(maxLength: SOCKS4Request.maxFieldLength)
            else { return nil }
            let host: SOCKSAddress
            if ip != 0, ip & 0xFFFF_FF00 == 0 {
                guard let domain = try buffer.readNullTerminatedBytes(maxLength: SOCKS4Request.maxFieldLength) else {
                    return nil
                }
                guard !domain.isEmpty else { throw SOCKSError.emptyDomain }
                guard let name = String(strictUTF8: domain) else { throw SOCKSError.invalidDomain }
                host = .domain(name)
            } else {
                host = .ipv4(ip)
            }
            return SOCKS4Request(
                command: SOCKSCommand(rawValue: command),
                target: SOCKSTarget(host: host, port: port),
                userID: String(decoding: userID, as: UTF8.self)
            )
        }
    }

    /// Writes SOCKS4 for an `.ipv4` target and SOCKS4a for a `.domain`. SOCKS4 cannot carry IPv6, so an
    /// `.ipv6` target is sent in the SOCKS4a form with its text as the domain, which servers that
    /// resolve with `getaddrinfo` accept. Fields must not contain NUL and are clipped to 255 bytes.
    @discardableResult
    package mutating func writeSOCKS4Request(_ request: SOCKS4Request) -> Int {
        var written = self.writeInteger(UInt8(0x04)) + self.writeInteger(request.command.rawValue)
        written += self.writeInteger(request.target.port)
        let domain: String?
        switch request.target.host {
        case .ipv4(let value):
            written += self.writeInteger(value)
            domain = nil
        case .ipv6:
            written += self.writeInteger(SOCKS4Request.socks4aMarker)
            domain = request.target.host.description
        case .domain(let name):
            written += self.writeInteger(SOCKS4Request.socks4aMarker)
            domain = name
        }
        written += self.writeNullTerminated(request.userID)
        if let domain {
            written += self.writeNullTerminated(domain)
        }
        return written
    }

    private mutating func writeNullTerminated(_ string: String) -> Int {
        assert(!string.utf8.contains(0) && string.utf8.count <= SOCKS4Request.maxFieldLength)
        let bytes = string.utf8.prefix { $0 != 0 }.prefix(SOCKS4Request.maxFieldLength)
        return self.writeBytes(bytes) + self.writeInteger(UInt8(0))
    }
}
