extension ListenerConfig {
    /// One line for `wproxy check`: mode, addresses and the essentials of the mode.
    package var summary: String {
        var line = "\(mode.rawValue) on \(listen.map(\.description).joined(separator: ", "))"
        if let name { line += " [\(name)]" }
        switch mode {
        case .tcp:
            if let tcp {
                if !tcp.upstreams.isEmpty {
                    line += " -> \(tcp.upstreams.map(\.description).joined(separator: ", ")) (\(tcp.lb.rawValue))"
                }
                if !tcp.sni.isEmpty { line += ", \(tcp.sni.count) sni routes" }
            }
        case .transparent:
            if transparent?.tproxy == true { line += " (tproxy)" }
        case .socks:
            if let socks { line += Self.accessSummary(auth: socks.auth.count, allow: socks.allow.count, deny: socks.denyDest.count) }
        case .forward:
            if let forward {
                line += Self.accessSummary(auth: forward.auth.count, allow: forward.allow.count, deny: forward.denyDest.count)
            }
        case .reverse:
            if let reverse {
                let sites = reverse.effectiveSites
                let routes = sites.reduce(0) { $0 + $1.routes.count }
                line += reverse.sites.isEmpty
                    ? Self.routeSummary(sites[0].routes[0])
                    : ", \(sites.count) site\(sites.count == 1 ? "" : "s"), \(routes) route\(routes == 1 ? "" : "s")"
                line += reverse.tls.summary
            }
        }
        if !upstreamProxies.isEmpty { line += " via \(upstreamProxies.map(\.description).joined(separator: ">"))" }
        return line
    }

    private static func accessSummary(auth: Int, allow: Int, deny: Int) -> String {
        var parts: [String] = []
        if auth > 0 { parts.append("\(auth) users") }
        if allow > 0 { parts.append("\(allow) allowed networks") }
        if deny > 0 { parts.append("\(deny) denied destinations") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}

extension ListenerConfig {
    /// ` -> up1, up2 (lb)` and/or ` + static DIR` for a listener without sites.
    static func routeSummary(_ route: ReverseRoute) -> String {
        var text = ""
        if !route.upstreams.isEmpty {
            text += " -> \(route.upstreams.map(\.description).joined(separator: ", ")) (\(route.lb.rawValue))"
        }
        if let root = route.staticRoot { text += " + static \(root)" }
        return text
    }
}
