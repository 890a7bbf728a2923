/// A `HOST:PORT` or `[V6]:PORT` pair naming a destination. IPv6 literals are stored without brackets.
package struct HostPort: Hashable, Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package init(parsing text: String, defaultPort: Int? = nil, allowPortZero: Bool = false) throws(ConfigValueError) {
        let host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigValueError("'\(text)' has '[' without a closing ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw ConfigValueError("'\(text)': expected ':PORT' after ']'")
                }
                portText = rest.dropFirst()
            }
            guard host.contains(":") else {
                throw ConfigValueError("'\(text)': brackets are only for IPv6 addresses")
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ConfigValueError("'\(text)': write IPv6 addresses in brackets, as [V6]:PORT")
            }
        } else {
            host = Substring(text)
        }
        guard !host.isEmpty else {
            throw ConfigValueError("'\(text)' has no host: expected HOST:PORT")
        }
        guard host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != "@" }) else {
            throw ConfigValueError("'\(text)' has an invalid host '\(host)'")
        }
        let port: Int
        if let portText {
            guard let value = Int(portText) else {
                throw ConfigValueError("'\(text)' has an invalid port '\(portText)'")
            }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw ConfigValueError("'\(text)' has no port: expected HOST:PORT")
        }
        guard ((allowPortZero ? 0 : 1)...65535).contains(port) else {
            throw ConfigValueError("port \(port) in '\(text)' is out of range \(allowPortZero ? 0 : 1)-65535")
        }
        self.init(host: String(host), port: port)
    }

    package var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
