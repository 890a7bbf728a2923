/// Why a SOCKS message could not be parsed.
///
/// Parsers throw this for input that can never become valid, however many more bytes arrive.
/// It is a struct over a private enum so new reasons can be added without breaking `switch`es
/// in other targets; compare with `==` against the static members.
package struct SOCKSError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case invalidVersion(UInt8)
        case noMethods
        case unsupportedAddressType(UInt8)
        case emptyDomain
        case invalidDomain
        case emptyUsername
        case invalidCredentialEncoding
        case fieldTooLong
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The version (or RFC 1929 sub-negotiation version) byte was not the one expected.
    package static func invalidVersion(_ actual: UInt8) -> SOCKSError { .init(.invalidVersion(actual)) }

    /// A SOCKS5 greeting offered zero methods.
    package static let noMethods = SOCKSError(.noMethods)

    /// ATYP was not 1, 3 or 4. A server answers this with reply `0x08`.
    package static func unsupportedAddressType(_ actual: UInt8) -> SOCKSError {
        .init(.unsupportedAddressType(actual))
    }

    /// A domain name of length zero.
    package static let emptyDomain = SOCKSError(.emptyDomain)

    /// A domain name that is not valid UTF-8 or contains a NUL byte (which would truncate it in C resolvers).
    package static let invalidDomain = SOCKSError(.invalidDomain)

    /// An RFC 1929 request with ULEN 0.
    package static let emptyUsername = SOCKSError(.emptyUsername)

    /// RFC 1929 username or password that is not valid UTF-8.
    package static let invalidCredentialEncoding = SOCKSError(.invalidCredentialEncoding)

    /// A NUL-terminated SOCKS4 field (USERID or the 4a domain) longer than ``SOCKS4Request/maxFieldLength``.
    package static let fieldTooLong = SOCKSError(.fieldTooLong)

    /// The ATYP byte if this error is ``unsupportedAddressType(_:)``.
    package var unsupportedAddressType: UInt8? {
        switch self.base {
        case .unsupportedAddressType(let atyp):
            return atyp
        case .invalidVersion, .noMethods, .emptyDomain, .invalidDomain, .emptyUsername,
            .invalidCredentialEncoding, .fieldTooLong:
            return nil
        }
    }

    package var description: String {
        switch self.base {
        case .invalidVersion(let version): return "SOCKSError: invalid version \(version)"
        case .noMethods: return "SOCKSError: greeting offers no methods"
        case .unsupportedAddressType(let atyp): return "SOCKSError: unsupported address type \(atyp)"
        case .emptyDomain: return "SOCKSError: empty domain name"
        case .invalidDomain: return "SOCKSError: domain name is not valid UTF-8 or contains NUL"
        case .emptyUsername: return "SOCKSError: empty username"
        case .invalidCredentialEncoding: return "SOCKSError: credentials are not valid UTF-8"
        case .fieldTooLong: return "SOCKSError: SOCKS4 field too long"
        }
    }
}
