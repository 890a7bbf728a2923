/// Why a SOCKS client handshake with a proxy hop failed.
///
/// The remote reply codes are kept so that a server in front can pass them on (a hop answering
/// `0x05` surfaces as `.socks5Reply(.connectionRefused)`, and wproxy's own SOCKS server replies `0x05`).
package enum SOCKSClientError: Error, Hashable, Sendable {
    /// The hop answered a SOCKS5 request with a non-zero REP.
    case socks5Reply(SOCKS5ReplyCode)
    /// The hop answered a SOCKS4 request with something other than `0x5A`.
    case socks4Reply(SOCKS4ReplyCode)
    /// The hop answered the greeting with `0xFF`: it wants a method we did not offer (e.g. credentials).
    case noAcceptableMethod
    /// The hop selected a method we did not offer.
    case unexpectedMethod(SOCKS5AuthMethod)
    /// RFC 1929 status other than 0: wrong username or password.
    case authenticationFailed(status: UInt8)
    /// The hop sent bytes that are not a valid reply.
    case malformedReply(SOCKSError)
    /// The target or credentials do not fit the wire format (a domain or username of 0 or more than
    /// 255 bytes, a password over 255 bytes, or a NUL in a SOCKS4 field).
    case unencodableRequest
    /// An event in the wrong state: before `start()`, twice, or after a failure.
    case invalidState
}
