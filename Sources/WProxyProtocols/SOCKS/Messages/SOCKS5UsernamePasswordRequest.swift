import NIOCore

/// RFC 1929 username/password request: `VER(1) ULEN UNAME PLEN PASSWD`.
///
/// ULEN must be 1...255. PLEN 0 (an empty password) is accepted: RFC 1929 draws the field as
/// 1...255, but curl and others send `user:` with an empty password, and whether an empty password
/// is valid is the credential check's decision, not the parser's. Both fields must be UTF-8.
package struct SOCKS5UsernamePasswordRequest: Hashable, Sendable {
    package var username: String
    package var password: String

    package init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// True when both fields fit the wire format (username 1...255 bytes, password 0...255 bytes).
    package var isEncodable: Bool {
        (1...255).contains(self.username.utf8.count) && self.password.utf8.count <= 255
    }
}

extension ByteBuffer {
    /// Throws ``SOCKSError/invalidVersion(_:)`` unless VER is 1, ``SOCKSError/emptyUsername`` for ULEN 0, and
    /// ``SOCKSError/invalidCredentialEncoding`` for non-UTF-8 fields.
    package mutating func readSOCKS5UsernamePasswordRequest() throws -> SOCKS5UsernamePasswordRequest? {
        try self.parseUnwindingIfNeeded { buffer -> SOCKS5UsernamePasswordRequest? in
            guard try buffer.readSOCKSVersion(0x01) != nil,
                let usernameLength = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)
            else { return nil }
            guard usernameLength > 0 else { throw SOCKSError.emptyUsername }
            guard let username = buffer.readLengthPrefixedBytes(),
                let password = buffer.readLengthPrefixedBytes()
            else { return nil }
            guard let user = String(strictUTF8: username), let pass = String(strictUTF8: password) else {
                throw SOCKSError.invalidCredentialEncoding
            }
            return SOCKS5UsernamePasswordRequest(username: user, password: pass)
        }
    }

    @discardableResult
    package mutating func writeSOCKS5UsernamePasswordRequest(_ request: SOCKS5UsernamePasswordRequest) -> Int {
        self.writeInteger(UInt8(0x01)) + self.writeLengthPrefixedBytes(request.username.utf8)
            + self.writeLengthPrefixedBytes(request.password.utf8)
    }
}
