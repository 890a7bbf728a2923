/// Picks a site by the request's host: an exact name first, then the longest matching `*.domain`
/// wildcard, then the default site. Pure and immutable (unit-tested without sockets).
package struct SiteMatcher: Sendable {
    private let exact: [String: Int]
    /// `(".example.test", site)`, longest suffix first; equal lengths keep the sites' order.
    private let wildcards: [(suffix: String, site: Int)]
    private let defaultSite: Int?

    /// - Parameter hosts: each site's host list (lower case); an empty list or `*` marks the default.
    package init(hosts: [[String]]) {
        var exact: [String: Int] = [:]
        var wildcards: [(suffix: String, site: Int)] = []
        var defaultSite: Int?
        for (site, names) in hosts.enumerated() {
            if names.isEmpty || names.contains("*") {
                if defaultSite == nil { defaultSite = site }
            }
            for name in names where name != "*" {
                let name = Self.normalize(name)
                if name.hasPrefix("*.") {
                    wildcards.append((String(name.dropFirst()), site))
                } else if exact[name] == nil {
                    exact[name] = site
                }
            }
        }
        self.exact = exact
        self.wildcards = wildcards.enumerated().sorted {
            ($0.element.suffix.count, -$0.offset) > ($1.element.suffix.count, -$1.offset)
        }.map(\.element)
        self.defaultSite = defaultSite
    }

    /// True when some site names hosts; otherwise every request goes to ``defaultSiteIndex`` and
    /// the host need not be looked at.
    package var matchesHosts: Bool { !exact.isEmpty || !wildcards.isEmpty }
    package var defaultSiteIndex: Int? { defaultSite }

    /// The site for a `Host` value (port, case and a trailing dot ignored); nil: no site and no default.
    package func site(for host: String?) -> Int? {
        guard let host, !host.isEmpty else { return defaultSite }
        let name = Self.normalize(Self.stripPort(host))
        if let site = exact[name] { return site }
        for (suffix, site) in wildcards where name.count > suffix.count && name.hasSuffix(suffix) {
            return site
        }
        return defaultSite
    }

    static func normalize(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// `host:port` → `host`; `[v6]:port` → `[v6]`.
    static func stripPort(_ host: String) -> String {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return host }
            return String(host[...close])
        }
        // (On the UTF-8 view: a colon is always a scalar boundary, and it is much cheaper than Characters.)
        let utf8 = host.utf8
        guard let colon = utf8.lastIndex(of: UInt8(ascii: ":")), utf8.firstIndex(of: UInt8(ascii: ":")) == colon else { return host }
        return String(host[..<colon])
    }
}

/// Picks a route by the longest path prefix. A prefix matches the path itself and whatever lies
/// below it at a segment boundary: `/api` matches `/api`, `/api/` and `/api/x` but not `/apix`;
/// `/api/` matches `/api/` and `/api/x`; `/` matches every path.
package struct PathMatcher: Sendable {
    private let prefixes: [(path: String, route: Int)]
    /// The same prefixes as bytes, when every one is ASCII (nil otherwise): for an ASCII path the
    /// byte comparison then gives exactly the `String` result, without making strings.
    private let asciiPrefixes: [(bytes: [UInt8], endsWithSlash: Bool, route: Int)]?

    package init(paths: [String]) {
        prefixes = paths.enumerated().map { ($0.element, $0.offset) }.sorted {
            ($0.path.utf8.count, -$0.route) > ($1.path.utf8.count, -$1.route)
        }
        asciiPrefixes = prefixes.allSatisfy { $0.path.utf8.allSatisfy { $0 < 0x80 } }
            ? prefixes.map { (Array($0.path.utf8), $0.path.hasSuffix("/"), $0.route) } : nil
    }

    /// The route for an origin-form request-target given as bytes (`/path?query`), when the answer
    /// can be found on bytes (target and prefixes all ASCII); `.undecided` otherwise.
    package func route(forOriginForm target: UnsafeRawBufferPointer) -> ByteMatch {
        guard let asciiPrefixes, let first = target.first, first == UInt8(ascii: "/") else { return .undecided }
        var pathEnd = target.count
        for index in 0..<target.count {
            let byte = target[index]
            if byte >= 0x80 { return .undecided }
            if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                pathEnd = index
                break
            }
        }
        if pathEnd < target.count {
            for index in pathEnd..<target.count where target[index] >= 0x80 { return .undecided }
        }
        for (prefix, endsWithSlash, route) in asciiPrefixes where prefix.count <= pathEnd {
            var equal = true
            for index in 0..<prefix.count where target[index] != prefix[index] {
                equal = false
                break
            }
            guard equal else { continue }
            if endsWithSlash || pathEnd == prefix.count || target[prefix.count] == UInt8(ascii: "/") { return .route(route) }
        }
        return .route(nil)
    }

    package enum ByteMatch: Equatable {
        /// The answer (nil: no route takes the path).
        case route(Int?)
        /// Use ``route(for:)`` with ``path(of:)``.
        case undecided
    }

    package func route(for path: Substring) -> Int? {
        for (prefix, route) in prefixes where Self.matches(prefix, path) { return route }
        return nil
    }

    package static func matches(_ prefix: String, _ path: Substring) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.utf8.count == prefix.utf8.count { return true }
        return path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: prefix.utf8.count)] == UInt8(ascii: "/")
    }

    /// The path of a request-target (no query): origin-form as is, absolute-form after its authority.
    package static func path(of target: String) -> Substring {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let afterScheme = afterScheme(rest) {
            rest = rest[afterScheme...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        return rest.isEmpty ? "/" : rest
    }

    /// The authority of an absolute-form target (`http://host:port/...`), or nil.
    package static func authority(of target: String) -> String? {
        guard !target.hasPrefix("/"), let afterScheme = afterScheme(Substring(target)) else { return nil }
        let rest = target[afterScheme...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        return String(rest[..<end])
    }

    /// The index just past `scheme://`, or nil.
    static func afterScheme(_ text: Substring) -> String.Index? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let rest = text[colon...]
        guard rest.hasPrefix("://") else { return nil }
        return text.index(colon, offsetBy: 3)
    }
}
