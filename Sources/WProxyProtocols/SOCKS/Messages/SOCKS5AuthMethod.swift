/// A SOCKS5 authentication method byte (RFC 1928 §3). Open-ended, so a struct rather than an enum.
package struct SOCKS5AuthMethod: Hashable, Sendable, RawRepresentable {
    package var rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    package static let noAuthenticationRequired = SOCKS5AuthMethod(rawValue: 0x00)
    package static let gssapi = SOCKS5AuthMethod(rawValue: 0x01)
    /// RFC 1929.
    package static let usernamePassword = SOCKS5AuthMethod(rawValue: 0x02)
    package static let noAcceptableMethods = SOCKS5AuthMethod(rawValue: 0xFF)
}
