/// A problem with a whole configuration, attributed to a listener when it belongs to one
/// (its index in `listeners`), so a config file can point at that listener's line.
package struct ValidationIssue: Hashable, Sendable {
    package var listener: Int?
    package var message: String
}

extension Configuration {
    /// Every problem at once, each naming the listener it belongs to. Empty means valid.
    package func validationErrors() -> [String] {
        validationIssues().map(\.message)
    }

    package func validationIssues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if listeners.isEmpty { issues.append(ValidationIssue(listener: nil, message: "no listeners")) }
        if let user = global.user, user.isEmpty { issues.append(ValidationIssue(listener: nil, message: "user must not be empty")) }
        if let workers = global.workers, !(1...1024).contains(workers) {
            issues.append(ValidationIssue(listener: nil, message: "workers must be from 1 to 1024, not \(workers)"))
        }
        var seen: [ListenAddress: Int] = [:]
        for (index, listener) in listeners.enumerated() {
            let name = "listener \(index + 1) (\(listener.mode.rawValue))"
            var errors: [String] = []
            if listener.listen.isEmpty { errors.append("needs at least one listen address") }
            for address in listener.listen {
                if let other = seen[address] {
                    errors.append("\(address) is already used by listener \(other + 1)")
                } else {
                    seen[address] = index
                }
            }
            if listener.maxConnections < 1 { errors.append("max-connections must be at least 1") }
            if listener.connectTimeout <= .zero { errors.append("connect-timeout must be above 0") }
            if let idle = listener.idleTimeout, idle <= .zero { errors.append("idle-timeout must be above 0") }
            errors += listener.modeValidationErrors()
            errors += listener.transparentValidationErrors()
            issues += errors.map { ValidationIssue(listener: index, message: "\(name): \($0)") }
        }
        return issues
    }
}

extension ListenerConfig {
    /// Problems with the mode's own options; one block per mode.
    func modeValidationErrors() -> [String] {
        var errors: [String] = []
        switch mode {
        case .tcp:
            guard let tcp else { return ["missing tcp options"] }
            if tcp.upstreams.isEmpty && tcp.sni.isEmpty {
                errors.append("needs at least one upstream (or an sni route)")
            }
            if tcp.retries < 0 || tcp.retries > 100 { errors.append("retries must be from 0 to 100") }
            if tcp.healthInterval <= .zero { errors.append("health-interval must be above 0") }
            if tcp.lb == .hash {
                errors.append("lb 'hash' needs a request key; tcp supports round-robin, least-conn, random, p2c, ip-hash")
            }
        case .forward:
            guard let forward else { return ["missing forward options"] }
            if forward.originPoolSize < 0 || forward.originPoolSize > 10000 {
                errors.append("origin-pool-size must be from 0 to 10000")
            }
            if forward.originIdleTimeout <= .zero { errors.append("origin-idle-timeout must be above 0") }
            if let refusal = Configuration.openProxyRefusal(
                listen: listen, hasAuth: !forward.auth.isEmpty, hasAllow: !forward.allow.isEmpty)
            {
                errors.append(refusal)
            }
        case .socks:
            guard let socks else { return ["missing socks options"] }
            if socks.handshakeTimeout <= .zero { errors.append("handshake-timeout must be above 0") }
            if let refusal = Configuration.openProxyRefusal(
                listen: listen, hasAuth: !socks.auth.isEmpty, hasAllow: !socks.allow.isEmpty)
            {
                errors.append(refusal)
            }
        case .reverse:
            errors += Configuration.reverseErrors(reverse)
        case .transparent:
            break
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

extension Configuration {
    /// The `reverse` block of validation (kept apart so each mode's checks stay in one place).
    static func reverseErrors(_ reverse: ReverseOptions?) -> [String] {
        guard let reverse else { return ["missing reverse options"] }
        var errors: [String] = []
        errors += reverse.tls.validationErrors(upstreams: reverse.upstreams + reverse.sites.flatMap { $0.routes.flatMap(\.upstreams) })
        if reverse.sites.isEmpty && reverse.upstreams.isEmpty && reverse.staticRoot == nil && reverse.tls.redirectOnly == nil {
            errors.append("needs at least one upstream, or a static directory")
        }
        errors += siteErrors(reverse)
        if reverse.lb == .hash && reverse.hashKey == nil {
            errors.append("lb 'hash' needs a hash key (header:NAME, cookie:NAME, query:NAME or path)")
        }
        if reverse.hashKey != nil && reverse.lb != .hash {
            errors.append("a hash key is used only with lb 'hash'")
        }
        if let path = reverse.healthCheckPath, !path.hasPrefix("/") {
            errors.append("health-check path must start with '/', not '\(path)'")
        }
        if reverse.healthCheckPath != nil && reverse.upstreams.isEmpty && reverse.sites.isEmpty {
            errors.append("health-check needs upstreams")
        }
        if reverse.healthInterval <= .zero { errors.append("health-interval must be above 0") }
        if reverse.retries < 0 || reverse.retries > 100 { errors.append("retries must be from 0 to 100") }
        if reverse.upstreamTimeout <= .zero { errors.append("upstream-timeout must be above 0") }
        if reverse.headerTimeout <= .zero { errors.append("header-timeout must be above 0") }
        if reverse.maxHeaderSize < 1024 { errors.append("max-header-size must be at least 1k") }
        if reverse.maxURISize < 16 { errors.append("max-uri-size must be at least 16") }
        if reverse.maxURISize > reverse.maxHeaderSize {
            errors.append("max-uri-size must not exceed max-header-size (the request line is part of the head)")
        }
        if let maxBody = reverse.maxBody, maxBody < 0 { errors.append("max-body must not be negative") }
        if let root = reverse.staticRoot, root.isEmpty { errors.append("static directory is empty") }
        return errors
    }
}
