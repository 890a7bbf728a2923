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
        case .reverse:
            if let reverse { line += reverse.tls.summary }
        case .forward, .socks, .transparent:
            break
        }
        return line
    }
}
