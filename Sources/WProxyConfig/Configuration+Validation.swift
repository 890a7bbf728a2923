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
            if listener.mode == .reverse {
                errors += Self.reverseErrors(listener.reverse, name: name)
            }
        }
        return errors
    }
}

extension Configuration {
    /// The `reverse` block of validation (kept apart so each mode's checks stay in one place).
    static func reverseErrors(_ reverse: ReverseOptions?, name: String) -> [String] {
        guard let reverse else { return ["\(name): missing reverse options"] }
        var errors: [String] = []
        if reverse.upstreams.isEmpty && reverse.staticRoot == nil {
            errors.append("\(name): needs at least one upstream, or a static directory")
        }
        for upstream in reverse.upstreams where upstream.scheme == .https {
            errors.append("\(name): upstream \(upstream): https:// upstreams need the TLS layer, which this build does not have yet")
        }
        if reverse.lb == .hash && reverse.hashKey == nil {
            errors.append("\(name): lb 'hash' needs a hash key (header:NAME, cookie:NAME, query:NAME or path)")
        }
        if reverse.hashKey != nil && reverse.lb != .hash {
            errors.append("\(name): a hash key is used only with lb 'hash'")
        }
        if let path = reverse.healthCheckPath, !path.hasPrefix("/") {
            errors.append("\(name): health-check path must start with '/', not '\(path)'")
        }
        if reverse.healthCheckPath != nil && reverse.upstreams.isEmpty {
            errors.append("\(name): health-check needs upstreams")
        }
        if reverse.healthInterval <= .zero { errors.append("\(name): health-interval must be above 0") }
        if reverse.retries < 0 || reverse.retries > 100 { errors.append("\(name): retries must be from 0 to 100") }
        if reverse.upstreamTimeout <= .zero { errors.append("\(name): upstream-timeout must be above 0") }
        if reverse.headerTimeout <= .zero { errors.append("\(name): header-timeout must be above 0") }
        if reverse.maxHeaderSize < 1024 { errors.append("\(name): max-header-size must be at least 1k") }
        if reverse.maxURISize < 16 { errors.append("\(name): max-uri-size must be at least 16") }
        if reverse.maxURISize > reverse.maxHeaderSize {
            errors.append("\(name): max-uri-size must not exceed max-header-size (the request line is part of the head)")
        }
        if let maxBody = reverse.maxBody, maxBody < 0 { errors.append("\(name): max-body must not be negative") }
        if let root = reverse.staticRoot, root.isEmpty { errors.append("\(name): static directory is empty") }
        return errors
    }
}
