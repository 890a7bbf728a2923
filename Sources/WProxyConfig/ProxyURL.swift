/// One hop of an `--upstream-proxy` chain: `SCHEME://[USER:PASS@]HOST[:PORT][/]`.
///
/// Schemes: `http` (HTTP CONNECT), `socks5` (also `socks5h`), `socks4`, `socks4a`. Destinations are always
/// sent to the hop by name, so the hop resolves them (`socks5` behaves like curl's `socks5h`, and `socks4`
/// sends names as SOCKS4a). The port defaults to 3128 for `http` and 1080 for the SOCKS schemes.
/// User and password are percent-decoded (`%40` for `@`, `%3A` for `:`).
///
/// Guarantees: `host` is non-empty (IPv6 without brackets), `port` is 1...65535, a password is present
/// only with a user name, and `description` never shows the password.
package struct ProxyURL: Hashable, Sendable, CustomStringConvertible {
    package enum Scheme: String, Hashable, Sendable, CaseIterable {
        case http, socks5, socks4, socks4a

        package var defaultPort: Int {
            switch self {
            case .http: return 3128
            case .socks5, .socks4, .socks4a: return 1080
            }
        }
    }

    package var scheme: Scheme
    package var host: String
    package var port: Int
    package var username: String?
    package var password: String?

    package init(scheme: Scheme, host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    package init(parsing text: String) throws(ConfigValueError) {
        guard let separator = text.firstRange(of: "://") else {
            throw ConfigValueError("'\(Self.redacted(text))' is not a proxy URL: expected SCHEME://[USER:PASS@]HOST:PORT with scheme http, socks5, socks4 or socks4a")
        }
        let schemeText = text[..<separator.lowerBound].lowercased()
        let scheme: Scheme
        switch schemeText {
        case "http": scheme = .http
        case "socks5", "socks5h": scheme = .socks5
        case "socks4": scheme = .socks4
        case "socks4a": scheme = .socks4a
        case "https":
            throw ConfigValueError("'\(Self.redacted(text))': https:// proxy hops (TLS to the proxy) are not supported; use http://, socks5://, socks4:// or socks4a://")
        default:
            throw ConfigValueError("'\(Self.redacted(text))': unknown proxy scheme '\(schemeText)' (use http, socks5, socks4 or socks4a)")
        }
        var rest = text[separator.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            throw ConfigValueError("'\(Self.redacted(text))': a proxy URL has no path, query or fragment")
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let userText: Substring
            if let colon = userinfo.firstIndex(of: ":") {
                userText = userinfo[..<colon]
                password = try Self.percentDecoded(userinfo[userinfo.index(after: colon)...], in: text)
            } else {
                userText = userinfo
            }
            let user = try Self.percentDecoded(userText, in: text)
            guard !user.isEmpty else {
                throw ConfigValueError("'\(Self.redacted(text))': empty user name before '@'")
            }
            username = user
        }
        guard !rest.isEmpty else {
            throw ConfigValueError("'\(Self.redacted(text))' has no host")
        }
        let hostPort = try HostPort(parsing: String(rest), defaultPort: scheme.defaultPort)
        self.init(scheme: scheme, host: hostPort.host, port: hostPort.port, username: username, password: password)
    }

    /// `host:port` of the hop, IPv6 in brackets.
    package var address: HostPort { HostPort(host: host, port: port) }

    /// `scheme://user:***@host:port` (the password is never shown).
    package var description: String {
        var text = scheme.rawValue + "://"
        if let username {
            text += username + (password == nil ? "" : ":***") + "@"
        }
        return text + address.description
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits, or bytes that are not UTF-8, are errors.
    static func percentDecoded(_ text: Substring, in whole: String) throws(ConfigValueError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.popFirst().flatMap(Self.hexValue), let low = iterator.popFirst().flatMap(Self.hexValue) else {
                throw ConfigValueError("'\(Self.redacted(whole))': bad percent-escape in the user or password")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ConfigValueError("'\(Self.redacted(whole))': user or password is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The URL with any password replaced by `***`, for error messages.
    static func redacted(_ text: String) -> String {
        guard let separator = text.firstRange(of: "://"), let at = text[separator.upperBound...].lastIndex(of: "@") else {
            return text
        }
        let userinfo = text[separator.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
