/// A virtual host of a `reverse` listener (config file `[[listeners.sites]]`).
package struct ReverseSite: Hashable, Sendable {
    /// Exact host names (lower case, no port) or `*.domain` wildcards; empty (or `*`) makes this
    /// the default site, used when no other site's hosts match.
    package var hosts: [String]
    /// Matched by longest path prefix.
    package var routes: [ReverseRoute]

    package init(hosts: [String] = [], routes: [ReverseRoute] = []) {
        self.hosts = hosts
        self.routes = routes
    }

    /// True when this site catches every host no other site names.
    package var isDefault: Bool { hosts.isEmpty || hosts.contains("*") }
}

/// Header changes for one direction: `remove` first, then `add` (which replaces any header of the
/// same name, so `add` never duplicates a header the client or upstream sent).
package struct HeaderRewrite: Hashable, Sendable {
    package var add: [HeaderPair] = []
    package var remove: [String] = []

    package init(add: [HeaderPair] = [], remove: [String] = []) {
        self.add = add
        self.remove = remove
    }

    package var isEmpty: Bool { add.isEmpty && remove.isEmpty }
}

package struct HeaderPair: Hashable, Sendable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One path route of a site (`[[listeners.sites.routes]]`): where requests under `path` go.
package struct ReverseRoute: Hashable, Sendable {
    /// Path prefix, starting with `/`. Matches the path itself and everything below it: `/api`
    /// matches `/api`, `/api/` and `/api/x` but not `/apix`; `/api/` matches `/api/x` only.
    package var path: String
    package var upstreams: [HTTPUpstream] = []
    package var lb: BalancePolicyName = .roundRobin
    package var hashKey: HashKey?
    package var healthCheckPath: String?
    package var healthInterval: Duration = .seconds(5)
    package var retries: Int = 1
    package var upstreamTimeout: Duration = .seconds(60)
    package var staticRoot: String?
    /// Remove `path` from the request path before proxying (or looking up a static file).
    package var stripPrefix: Bool = false
    package var requestHeaders = HeaderRewrite()
    package var responseHeaders = HeaderRewrite()

    package init(path: String) {
        self.path = path
    }

    /// A route that inherits the listener-level defaults (lb, hash key, health check, retries,
    /// timeouts; and, for the implicit route of a listener without sites, upstreams and static).
    package init(path: String, defaults options: ReverseOptions, includeTargets: Bool) {
        self.path = path
        lb = options.lb
        hashKey = options.hashKey
        healthCheckPath = options.healthCheckPath
        healthInterval = options.healthInterval
        retries = options.retries
        upstreamTimeout = options.upstreamTimeout
        if includeTargets {
            upstreams = options.upstreams
            staticRoot = options.staticRoot
        }
    }
}

extension ReverseOptions {
    /// The sites the engine serves: the configured ones, or, for a listener without `sites` (every
    /// command-line listener), one default site whose single `/` route carries the listener's
    /// upstreams and static directory. One code path serves both.
    package var effectiveSites: [ReverseSite] {
        if !sites.isEmpty { return sites }
        return [ReverseSite(hosts: [], routes: [ReverseRoute(path: "/", defaults: self, includeTargets: true)])]
    }
}

extension ReverseRoute {
    /// Problems with one route other than its path (the file decoder reports these at the route's
    /// line; the path is checked at its key's line).
    package func validationErrors() -> [String] {
        var errors: [String] = []
        if upstreams.isEmpty && staticRoot == nil { errors.append("route \(path): needs upstream or static") }
        if lb == .hash && hashKey == nil {
            errors.append("route \(path): lb 'hash' needs a hash_key (header:NAME, cookie:NAME, query:NAME or path)")
        }
        if hashKey != nil && lb != .hash { errors.append("route \(path): hash_key is used only with lb 'hash'") }
        if let check = healthCheckPath, !check.hasPrefix("/") {
            errors.append("route \(path): health_check path must start with '/', not '\(check)'")
        }
        if healthCheckPath != nil && upstreams.isEmpty { errors.append("route \(path): health_check needs upstreams") }
        if let root = staticRoot, root.isEmpty { errors.append("route \(path): static directory is empty") }
        for name in requestHeaders.remove + requestHeaders.add.map(\.name) + responseHeaders.remove + responseHeaders.add.map(\.name)
        where HeaderRewrite.reserved.contains(name.lowercased()) {
            errors.append("route \(path): header '\(name)' is managed by the proxy and cannot be added or removed")
        }
        return errors
    }
}

extension HeaderRewrite {
    /// Framing and hop-by-hop headers the engine owns.
    package static let reserved: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
        "proxy-connection", "host",
    ]

    /// A valid header name (RFC 9110 token).
    package static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// A valid header value (no CR, LF or NUL).
    package static func isValidValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }
}

extension Configuration {
    /// Sites and routes of a reverse listener (the config file reports the same problems with lines
    /// while decoding; this covers configurations built in code).
    static func siteErrors(_ reverse: ReverseOptions) -> [String] {
        guard !reverse.sites.isEmpty else { return [] }
        var errors: [String] = []
        if !reverse.upstreams.isEmpty || reverse.staticRoot != nil {
            errors.append("listener-level upstream and static are not used when sites are given: put them in a route")
        }
        if reverse.sites.filter(\.isDefault).count > 1 { errors.append("more than one default site") }
        for (index, site) in reverse.sites.enumerated() {
            if site.routes.isEmpty { errors.append("site \(index + 1): needs at least one route") }
            var paths: Set<String> = []
            for route in site.routes {
                if !route.path.hasPrefix("/") { errors.append("site \(index + 1): route path must start with '/', not '\(route.path)'") }
                if !paths.insert(route.path).inserted { errors.append("site \(index + 1): duplicate route path '\(route.path)'") }
                errors += route.validationErrors().map { "site \(index + 1): \($0)" }
            }
        }
        return errors
    }
}
