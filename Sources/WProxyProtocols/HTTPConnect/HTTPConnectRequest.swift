/// A `CONNECT host:port HTTP/1.1` request to an upstream HTTP proxy (RFC 9110 §9.3.6).
///
/// The initializer validates the target, so a request always writes as a well-formed head: a
/// host taken from a client (a SOCKS domain name, a CONNECT authority) cannot inject CR/LF or
/// extra headers. IPv6 hosts are stored without brackets and written with them.
package struct HTTPConnectRequest: Hashable, Sendable {
    /// Credentials for `Proxy-Authorization: Basic` (RFC 7617).
    package struct Credentials: Hashable, Sendable {
        package var username: String
        package var password: String

        package init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// A DNS name, an IPv4 address, or an IPv6 address without brackets.
    package let host: String
    package let port: Int
    package let credentials: Credentials?

    /// - Parameter host: a DNS name or IP address; an IPv6 address may be given with or without brackets.
    /// - Throws: ``HTTPConnectError/invalidHost``, ``HTTPConnectError/invalidPort`` or
    ///   ``HTTPConnectError/invalidCredentials``.
    package init(host: String, port: Int, credentials: Credentials? = nil) throws(HTTPConnectError) {
        var hostBytes = Array(host.utf8)
        if hostBytes.first == UInt8(ascii: "["), hostBytes.last == UInt8(ascii: "]"), hostBytes.count >= 2 {
            hostBytes = Array(hostBytes.dropFirst().dropLast())
            guard hostBytes.contains(UInt8(ascii: ":")) else {
                throw .invalidHost.with("brackets around a non-IPv6 host \(HTTPConnectError.quoted(host.utf8))")
            }
        }
        if hostBytes.contains(UInt8(ascii: ":")) {
            guard IPAddressText.ipv6Bytes(hostBytes) != nil else {
                throw .invalidHost.with("not an IPv6 address: \(HTTPConnectError.quoted(host.utf8))")
            }
        } else {
            guard (1...255).contains(hostBytes.count), hostBytes.allSatisfy(Self.isRegNameByte) else {
                throw .invalidHost.with(HTTPConnectError.quoted(host.utf8))
            }
        }
        guard (1...65535).contains(port) else {
            throw .invalidPort.with("\(port)")
        }
        if let credentials, credentials.username.utf8.contains(UInt8(ascii: ":")) {
            throw .invalidCredentials.with("user name contains ':'")
        }
        self.host = String(decoding: hostBytes, as: UTF8.self)
        self.port = port
        self.credentials = credentials
    }

    /// `host:port`, with an IPv6 host in brackets: the request target and the `Host` value.
    package var authority: String {
        self.host.utf8.contains(UInt8(ascii: ":")) ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    /// RFC 3986 `reg-name` without percent-encoding: unreserved and sub-delims.
    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-._~!$&'()*+,;=".utf8).contains(byte)
        }
    }
}
