extension Configuration {
    /// Every problem at once, each naming the listener it belongs to. Empty means valid.
    package func validationErrors() -> [String] {
        var errors: [String] = []
        if listeners.isEmpty { errors.append("no listeners") }
        if let workers = global.workers, !(1...1024).contains(workers) {
            errors.append("workers must be from 1 to 1024, not \(workers)")
        }
        var seen: [ListenAddress: Int] = [:]
        for (index, listener) in listeners.enumerated() {
            let name = "listener \(index + 1) (\(listener.mode.rawValue))"
            if listener.listen.isEmpty { errors.append("\(name): needs at least one listen address") }
            for address in listener.listen {
                if let other = seen[address] {
                    errors.append("\(name): \(address) is already used by listener \(other + 1)")
                } else {
                    seen[address] = index
                }
            }
            if listener.maxConnections < 1 { errors.append("\(name): max-connections must be at least 1") }
            if listener.connectTimeout <= .zero { errors.append("\(name): connect-timeout must be above 0") }
            if let idle = listener.idleTimeout, idle <= .zero { errors.append("\(name): idle-timeout must be above 0") }
            if listener.mode == .tcp {
                guard let tcp = listener.tcp else {
                    errors.append("\(name): missing tcp options")
                    continue
                }
                if tcp.upstreams.isEmpty && tcp.sni.isEmpty {
                    errors.append("\(name): needs at least one upstream (or an sni route)")
                }
                if tcp.retries < 0 || tcp.retries > 100 { errors.append("\(name): retries must be from 0 to 100") }
                if tcp.healthInterval <= .zero { errors.append("\(name): health-interval must be above 0") }
                if tcp.lb == .hash { errors.append("\(name): lb 'hash' needs a request key; tcp supports round-robin, least-conn, random, p2c, ip-hash") }
            }
            if listener.mode == .forward {
                guard let forward = listener.forward else {
                    errors.append("\(name): missing forward options")
                    continue
                }
                if forward.originPoolSize < 0 || forward.originPoolSize > 10000 {
                    errors.append("\(name): origin-pool-size must be from 0 to 10000")
                }
                if forward.originIdleTimeout <= .zero { errors.append("\(name): origin-idle-timeout must be above 0") }
                if let refusal = Self.openProxyRefusal(
                    listen: listener.listen, hasAuth: !forward.auth.isEmpty, hasAllow: !forward.allow.isEmpty)
                {
                    errors.append("\(name): \(refusal)")
                }
            }
            if listener.mode == .socks {
                guard let socks = listener.socks else {
                    errors.append("\(name): missing socks options")
                    continue
                }
                if socks.handshakeTimeout <= .zero { errors.append("\(name): handshake-timeout must be above 0") }
                if let refusal = Self.openProxyRefusal(listen: listener.listen, hasAuth: !socks.auth.isEmpty, hasAllow: !socks.allow.isEmpty) {
                    errors.append("\(name): \(refusal)")
                }
            }
        }
        return errors
    }
}

extension Configuration {
    /// SPEC "Safety": `forward` and `socks` refuse to listen beyond loopback with neither `--auth` nor
    /// `--allow`. Returns the exact message for the first such address, or nil when it may start.
    /// Every-interface addresses (`PORT`, `:PORT`) are shown as `[::]:PORT`.
    package static func openProxyRefusal(listen: [ListenAddress], hasAuth: Bool, hasAllow: Bool) -> String? {
        guard !hasAuth, !hasAllow else { return nil }
        for address in listen where !Self.isLoopback(address) {
            let shown = address.host == nil ? "[::]:\(address.port)" : address.description
            return "refusing to run an open proxy on \(shown): pass --auth USER:PASS or --allow CIDR"
        }
        return nil
    }

    private static func isLoopback(_ address: ListenAddress) -> Bool {
        guard let host = address.host else { return false }
        if host == "localhost" { return true }
        return IPAddress(host)?.isLoopback ?? false
    }
}
