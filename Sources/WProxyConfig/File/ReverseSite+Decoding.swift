extension ReverseSite {
    /// `[[listeners.sites]]` of a reverse listener, each with its `[[listeners.sites.routes]]`.
    /// Routes inherit the listener-level lb, hash_key, health_check, retries and upstream_timeout.
    /// Problems are reported with the line of the offending key or table.
    static func decodeSites(_ reader: inout TableReader, defaults: ReverseOptions) -> [ReverseSite] {
        guard let tables = reader.tables("sites") else { return [] }
        if tables.isEmpty { reader.fail("sites", "needs at least one site") }
        if !defaults.upstreams.isEmpty { reader.fail("upstream", "not used when sites are given: put upstreams in a route") }
        if defaults.staticRoot != nil { reader.fail("static", "not used when sites are given: put static in a route") }
        var sites: [ReverseSite] = []
        var seenHosts: [String: Int] = [:]
        var defaultSites = 0
        for var table in tables {
            var site = ReverseSite()
            if let hosts = table.strings("hosts") {
                for raw in hosts {
                    let host = raw.lowercased()
                    if let problem = Self.hostProblem(host) {
                        table.fail("hosts", problem)
                        continue
                    }
                    if host != "*", let other = seenHosts[host] {
                        table.fail("hosts", "'\(host)' is already a host of site \(other)")
                        continue
                    }
                    seenHosts[host] = sites.count + 1
                    site.hosts.append(host)
                }
            }
            if site.isDefault {
                defaultSites += 1
                if defaultSites > 1 {
                    table.issues.add(line: table.line, "\(table.path): a second default site (no hosts or \"*\"); only one may catch every host")
                }
            }
            if let routeTables = table.tables("routes") {
                var seenPaths: [String: Int] = [:]
                for var routeTable in routeTables {
                    let line = routeTable.line
                    guard let route = ReverseRoute.decode(&routeTable, defaults: defaults) else { continue }
                    if let other = seenPaths[route.path] {
                        routeTable.fail("path", "'\(route.path)' is already the path of route \(other) of this site")
                    } else {
                        seenPaths[route.path] = site.routes.count + 1
                    }
                    for error in route.validationErrors() {
                        routeTable.issues.add(line: line, "\(routeTable.path): \(error)")
                    }
                    site.routes.append(route)
                    routeTable.reportUnknownKeys()
                }
            }
            if site.routes.isEmpty {
                table.issues.add(line: table.line, "\(table.path): needs at least one [[listeners.sites.routes]]")
            }
            table.reportUnknownKeys(hint: "a site takes hosts and routes")
            sites.append(site)
        }
        return sites
    }

    /// Why a `hosts` entry is not a host name, `*.domain` or `*`; nil when it is fine.
    static func hostProblem(_ host: String) -> String? {
        if host == "*" { return nil }
        var name = Substring(host)
        if name.hasPrefix("*.") { name = name.dropFirst(2) }
        if name.isEmpty { return "'\(host)' is not a host name" }
        if name.contains("*") { return "'\(host)': a wildcard is only allowed as a leading '*.'" }
        if name.contains(":") && !name.hasPrefix("[") { return "'\(host)': give host names without a port" }
        let allowed = name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" || $0 == "[" || $0 == "]" || $0 == ":" }
        return allowed ? nil : "'\(host)' is not a host name"
    }
}

extension ReverseRoute {
    /// One `[[listeners.sites.routes]]` table; nil when it has no usable `path`.
    static func decode(_ reader: inout TableReader, defaults: ReverseOptions) -> ReverseRoute? {
        guard reader.has("path") else {
            reader.issues.add(line: reader.line, "\(reader.path): missing 'path'")
            return nil
        }
        guard let path = reader.string("path") else {
            reader.reportUnknownKeys()
            return nil
        }
        var route = ReverseRoute(path: path, defaults: defaults, includeTargets: false)
        if !path.hasPrefix("/") {
            reader.fail("path", "must start with '/', not '\(path)'")
        } else if path.contains("?") || path.contains("#") || path.contains(where: { $0 == " " || $0 == "\t" }) {
            reader.fail("path", "'\(path)' is a path prefix: no query, fragment or spaces")
        }
        if let upstreams = reader.parsedList("upstream", HTTPUpstream.init(parsing:)) { route.upstreams = upstreams }
        if let lb = reader.string("lb") {
            if let policy = BalancePolicyName(rawValue: lb) { route.lb = policy } else {
                reader.fail("lb", "'\(lb)' is not one of \(BalancePolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if reader.has("hash_key") { route.hashKey = reader.parsed("hash_key", HashKey.init(parsing:)) }
        if let value = reader.rawValue("health_check") {
            if value.stringValue != nil {
                route.healthCheckPath = reader.string("health_check")
            } else if var table = reader.table("health_check") {
                route.healthCheckPath = table.string("path")
                if !table.has("path") { table.issues.add(line: table.line, "\(table.path): missing 'path'") }
                if let interval = table.duration("interval") { route.healthInterval = interval }
                table.reportUnknownKeys()
            }
        }
        if let interval = reader.duration("health_interval") { route.healthInterval = interval }
        if let retries = reader.int("retries", in: 0...100) { route.retries = retries }
        if let timeout = reader.duration("upstream_timeout") { route.upstreamTimeout = timeout }
        route.staticRoot = reader.string("static")
        if let strip = reader.bool("strip_prefix") { route.stripPrefix = strip }
        route.requestHeaders = HeaderRewrite.decode(&reader, "request_headers")
        route.responseHeaders = HeaderRewrite.decode(&reader, "response_headers")
        return route
    }
}

extension HeaderRewrite {
    /// `KEY = { add = { "X-A" = "1" }, remove = ["X-B"] }`.
    static func decode(_ reader: inout TableReader, _ key: String) -> HeaderRewrite {
        var rewrite = HeaderRewrite()
        guard var table = reader.table(key) else { return rewrite }
        if let value = table.rawValue("add") {
            if let add = value.tableValue {
                _ = table.raw("add")
                for name in add.keys {
                    let line = add.keyLine(name) ?? add.line
                    guard let text = add[name]?.stringValue else {
                        table.issues.add(line: line, "\(table.path).add.\(name): expected a string value, got \(add[name]?.typeName ?? "nothing")")
                        continue
                    }
                    if !isToken(name) {
                        table.issues.add(line: line, "\(table.path).add: '\(name)' is not a valid header name")
                    } else if !isValidValue(text) {
                        table.issues.add(line: line, "\(table.path).add.\(name): a header value cannot hold CR, LF or NUL")
                    } else {
                        rewrite.add.append(HeaderPair(name, text))
                    }
                }
            } else {
                _ = table.table("add")  // reports the type error
            }
        }
        if let names = table.strings("remove") {
            for name in names {
                if isToken(name) { rewrite.remove.append(name) } else { table.fail("remove", "'\(name)' is not a valid header name") }
            }
        }
        table.reportUnknownKeys(hint: "\(key) takes add = { NAME = VALUE } and remove = [NAME]")
        return rewrite
    }
}
