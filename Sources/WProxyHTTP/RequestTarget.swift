/// The request-target of an HTTP/1.1 request line (RFC 9112 §3.2), as a proxy must understand it.
///
/// - `origin`: `/path?query` (what an origin server gets).
/// - `absolute`: `http://host[:port]/path?query` (what a forward proxy gets for plain HTTP).
/// - `authority`: `host:port` (CONNECT only; the port is required).
/// - `asterisk`: `*` (OPTIONS).
///
/// Parsing is strict: fragments (`#`), userinfo (`user@host`), whitespace and control characters are
/// rejected, and hosts are DNS names, IPv4 literals, or IPv6 literals in brackets (stored without them).
package enum RequestTarget: Hashable, Sendable {
    case origin(String)
    case absolute(AbsoluteTarget)
    case authority(host: String, port: Int)
    case asterisk

    /// - Parameter isConnect: the method is CONNECT, which takes only the authority form.
    package init(parsing text: String, isConnect: Bool) throws(RequestTargetError) {
        guard !text.isEmpty else { throw RequestTargetError("empty request target") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw RequestTargetError("request target contains spaces or control characters")
        }
        guard !text.utf8.contains(UInt8(ascii: "#")) else {
            throw RequestTargetError("request target must not contain a fragment ('#')")
        }
        if isConnect {
            let (host, port) = try Self.parseAuthority(Substring(text), defaultPort: nil)
            self = .authority(host: host, port: port)
            return
        }
        if text == "*" {
            self = .asterisk
            return
        }
        if text.utf8.first == UInt8(ascii: "/") {
            self = .origin(text)
            return
        }
        guard let separator = Self.schemeSeparator(in: text) else {
            throw RequestTargetError("request target '\(text.prefix(100))' is neither absolute-form (http://host/path) nor origin-form (/path)")
        }
        let schemeText = text[..<separator]
        let scheme = schemeText.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
            ? schemeText.lowercased() : String(schemeText)
        guard !scheme.isEmpty, scheme.utf8.allSatisfy({ Self.isSchemeByte($0) }) else {
            throw RequestTargetError("bad URI scheme in '\(text.prefix(100))'")
        }
        let afterScheme = text[text.utf8.index(separator, offsetBy: 3)...]
        let authorityEnd = afterScheme.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
            ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let defaultPort: Int?
        switch scheme {
        case "http", "ws": defaultPort = 80
        case "https", "wss": defaultPort = 443
        default: defaultPort = nil
        }
        guard let defaultPort else {
            throw RequestTargetError("unsupported URI scheme '\(scheme)'")
        }
        let (host, port) = try Self.parseAuthority(authority, defaultPort: defaultPort)
        var path = String(afterScheme[authorityEnd...])
        if path.isEmpty {
            path = "/"
        } else if path.utf8.first == UInt8(ascii: "?") {
            path = "/" + path
        }
        self = .absolute(AbsoluteTarget(scheme: scheme, host: host, port: port, defaultPort: defaultPort, path: path))
    }

    /// Where `://` starts, searching bytes only.
    private static func schemeSeparator(in text: String) -> String.Index? {
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: ":") {
                let rest = utf8[index...]
                return rest.starts(with: "://".utf8) ? index : nil
            }
            if byte == UInt8(ascii: "/") { return nil }
            index = utf8.index(after: index)
        }
        return nil
    }

    /// `host[:port]` with IPv6 in brackets. `defaultPort == nil` means the port is required.
    static func parseAuthority(_ text: Substring, defaultPort: Int?) throws(RequestTargetError) -> (String, Int) {
        guard !text.isEmpty else { throw RequestTargetError("request target has no host") }
        guard !text.utf8.contains(UInt8(ascii: "@")) else {
            throw RequestTargetError("request target must not contain userinfo ('user@host')")
        }
        let host: Substring
        var portText: Substring?
        if text.utf8.first == UInt8(ascii: "[") {
            guard let close = text.utf8.firstIndex(of: UInt8(ascii: "]")) else {
                throw RequestTargetError("'\(text.prefix(100))' has '[' without ']'")
            }
            host = text[text.utf8.index(after: text.startIndex)..<close]
            let rest = text[text.utf8.index(after: close)...]
            if !rest.isEmpty {
                guard rest.utf8.first == UInt8(ascii: ":") else { throw RequestTargetError("'\(text.prefix(100))': expected ':PORT' after ']'") }
                portText = rest.dropFirst()
            }
            guard host.utf8.contains(UInt8(ascii: ":")), host.utf8.allSatisfy({ Self.isHexDigitOrColonOrDot($0) }) else {
                throw RequestTargetError("'\(text.prefix(100))': brackets must hold an IPv6 address")
            }
        } else {
            if let colon = text.utf8.lastIndex(of: UInt8(ascii: ":")) {
                host = text[..<colon]
                portText = text[text.utf8.index(after: colon)...]
            } else {
                host = text
            }
            guard !host.isEmpty, host.utf8.count <= 253, host.utf8.allSatisfy({ Self.isHostByte($0) }) else {
                throw RequestTargetError("'\(text.prefix(100))' has an invalid host")
            }
        }
        guard !host.isEmpty else { throw RequestTargetError("request target has no host") }
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw RequestTargetError("'\(text.prefix(100))' has an invalid port")
            }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw RequestTargetError("CONNECT needs host:port, got '\(text.prefix(100))'")
        }
        return (String(host), port)
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Letters, digits, `-`, `.`, `_`, `~` (DNS names and IPv4 literals).
    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func isHexDigitOrColonOrDot(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}

/// An absolute-form target: where to connect and what to send as the origin-form request-target.
package struct AbsoluteTarget: Hashable, Sendable {
    /// Lowercased: `http`, `https`, `ws` or `wss`.
    package var scheme: String
    /// A name or IP literal; IPv6 without brackets.
    package var host: String
    package var port: Int
    package var defaultPort: Int
    /// Origin-form: starts with `/`, query included.
    package var path: String

    package init(scheme: String, host: String, port: Int, defaultPort: Int, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.defaultPort = defaultPort
        self.path = path
    }

    /// The `Host` header value: the host, plus `:port` when it is not the scheme's default.
    package var hostHeader: String {
        let bracketed = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// `host:port` (IPv6 in brackets): the key of an origin connection pool.
    package var authority: String {
        host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// True for `http` and `ws` (plain TCP to the origin); `https`/`wss` need a CONNECT tunnel.
    package var isPlain: Bool { scheme == "http" || scheme == "ws" }
}

/// Why a request-target was rejected; the message goes into the 400 body.
package struct RequestTargetError: Error, Hashable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
