/// `wproxy reverse` options (SPEC "reverse"), for one listener (and, later, one route).
package struct ReverseOptions: Sendable {
    package var upstreams: [HTTPUpstream] = []
    package var lb: BalancePolicyName = .roundRobin
    /// The request key for `--lb hash`; required with it, ignored by the other policies.
    package var hashKey: HashKey?
    /// `--health-check PATH`: an HTTP GET of PATH on each upstream; 2xx and 3xx are healthy.
    package var healthCheckPath: String?
    package var healthInterval: Duration = .seconds(5)
    package var retries: Int = 1
    /// Time to wait for an upstream's response head before answering 504.
    package var upstreamTimeout: Duration = .seconds(60)
    /// Time a client has to send a whole request head.
    package var headerTimeout: Duration = .seconds(10)
    /// Request line plus headers, in bytes; over it → 431.
    package var maxHeaderSize: Int = 32 << 10
    /// Request-target, in bytes; over it → 414.
    package var maxURISize: Int = 8 << 10
    /// Request body, in bytes; over it → 413. nil: unlimited.
    package var maxBody: Int?
    /// `--static DIR`.
    package var staticRoot: String?
    /// `--upstream-host`: send the upstream's `host:port` as `Host` instead of the client's.
    package var upstreamHost: Bool = false
    /// HTTPS serving, HTTP/2 and upstream TLS (the TLS layer's options).
    package var tls = ReverseTLSSettings()
    /// Virtual hosts and path routes (config file only); empty: one default site, one `/` route.
    package var sites: [ReverseSite] = []

    package init() {}
}

/// An HTTP upstream: `http://HOST[:PORT][,weight=N][,backup]` (`https://` is parsed for the TLS layer).
package struct HTTPUpstream: Hashable, Sendable, CustomStringConvertible {
    package enum Scheme: String, Hashable, Sendable {
        case http, https

        package var defaultPort: Int { self == .http ? 80 : 443 }
    }

    package var scheme: Scheme
    package var address: HostPort
    package var weight: Int
    package var backup: Bool

    package init(scheme: Scheme = .http, address: HostPort, weight: Int = 1, backup: Bool = false) {
        self.scheme = scheme
        self.address = address
        self.weight = weight
        self.backup = backup
    }

    package init(parsing text: String) throws(ConfigValueError) {
        let (target, weight, backup) = try UpstreamParameters.split(text)
        let scheme: Scheme
        var rest: Substring
        if target.lowercased().hasPrefix("http://") {
            scheme = .http
            rest = target.dropFirst("http://".count)
        } else if target.lowercased().hasPrefix("https://") {
            scheme = .https
            rest = target.dropFirst("https://".count)
        } else {
            throw ConfigValueError("'\(target)' is not an http:// or https:// URL")
        }
        // A bare trailing slash is allowed ("http://h:1/"); a path is not: requests keep their own.
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") {
            throw ConfigValueError("'\(target)': an upstream URL takes no path, query or fragment")
        }
        if rest.contains("@") {
            throw ConfigValueError("'\(target)': an upstream URL takes no user:password@")
        }
        let address = try HostPort(parsing: String(rest), defaultPort: scheme.defaultPort)
        self.init(scheme: scheme, address: address, weight: weight, backup: backup)
    }

    /// `http://host:port`: the upstream's identity in logs and on the hash ring.
    package var description: String { "\(scheme.rawValue)://\(address)" }

    /// The `Host` header value that names this upstream (the port is left out when it is the default).
    package var hostHeader: String {
        let host = address.host.contains(":") ? "[\(address.host)]" : address.host
        return address.port == scheme.defaultPort ? host : "\(host):\(address.port)"
    }
}

/// `--hash-key header:NAME|cookie:NAME|query:NAME|path`: what `--lb hash` hashes on.
package enum HashKey: Hashable, Sendable, CustomStringConvertible {
    case header(String)
    case cookie(String)
    case query(String)
    case path

    package init(parsing text: String) throws(ConfigValueError) {
        if text == "path" {
            self = .path
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw ConfigValueError("'\(text)' is not header:NAME, cookie:NAME, query:NAME or path")
        }
        let kind = text[..<colon]
        let name = String(text[text.index(after: colon)...])
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw ConfigValueError("'\(text)': missing or invalid name after '\(kind):'")
        }
        switch kind {
        case "header": self = .header(name.lowercased())
        case "cookie": self = .cookie(name)
        case "query": self = .query(name)
        default: throw ConfigValueError("'\(text)' is not header:NAME, cookie:NAME, query:NAME or path")
        }
    }

    package var description: String {
        switch self {
        case .header(let name): "header:\(name)"
        case .cookie(let name): "cookie:\(name)"
        case .query(let name): "query:\(name)"
        case .path: "path"
        }
    }
}
