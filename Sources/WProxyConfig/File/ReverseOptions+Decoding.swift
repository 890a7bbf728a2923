extension ReverseOptions {
    /// The listener-level keys of a `mode = "reverse"` listener (the CLI flags with dashes as
    /// underscores). Sites and routes are not decoded here.
    static func decode(_ reader: inout TableReader) -> ReverseOptions {
        var options = ReverseOptions()
        if let upstreams = reader.parsedList("upstream", HTTPUpstream.init(parsing:)) { options.upstreams = upstreams }
        if let lb = reader.string("lb") {
            if let policy = BalancePolicyName(rawValue: lb) { options.lb = policy } else {
                reader.fail("lb", "'\(lb)' is not one of \(BalancePolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        options.hashKey = reader.parsed("hash_key", HashKey.init(parsing:))
        // `health_check = "/path"` or `health_check = { path = "/path", interval = "2s" }`.
        if let value = reader.rawValue("health_check") {
            if value.stringValue != nil {
                options.healthCheckPath = reader.string("health_check")
            } else if var table = reader.table("health_check") {
                options.healthCheckPath = table.string("path")
                if let interval = table.duration("interval") { options.healthInterval = interval }
                table.reportUnknownKeys()
            }
        }
        if let interval = reader.duration("health_interval") { options.healthInterval = interval }
        if let retries = reader.int("retries", in: 0...100) { options.retries = retries }
        if let timeout = reader.duration("upstream_timeout") { options.upstreamTimeout = timeout }
        if let timeout = reader.duration("header_timeout") { options.headerTimeout = timeout }
        if let size = reader.size("max_header_size") { options.maxHeaderSize = size }
        if let size = reader.size("max_uri_size") { options.maxURISize = size }
        options.maxBody = reader.size("max_body")
        options.staticRoot = reader.string("static")
        if let upstreamHost = reader.bool("upstream_host") { options.upstreamHost = upstreamHost }
        options.tls = ReverseTLSSettings.decode(&reader)
        return options
    }
}

extension ReverseTLSSettings {
    /// `tls = {...}`, `upstream_ca`, `upstream_insecure`, `h2_max_streams`, `redirect_http`.
    static func decode(_ reader: inout TableReader) -> ReverseTLSSettings {
        var settings = ReverseTLSSettings()
        if var tls = reader.table("tls") {
            var server = ServerTLSOptions()
            if let selfSigned = tls.bool("self_signed") { server.selfSigned = selfSigned }
            if let pairs = tls.tables("certs") {
                for var pair in pairs {
                    if let cert = pair.string("cert"), let key = pair.string("key") {
                        server.certificates.append(CertificateFiles(certificate: cert, key: key))
                    } else if !pair.has("cert") || !pair.has("key") {
                        pair.issues.add(line: pair.line, "\(pair.path): needs both 'cert' and 'key'")
                    }
                    pair.reportUnknownKeys()
                }
            }
            if var acmeTable = tls.table("acme") {
                var acme = ACMEOptions(domains: acmeTable.strings("domains")?.map { $0.lowercased() } ?? [])
                if !acmeTable.has("domains") { acmeTable.issues.add(line: acmeTable.line, "\(acmeTable.path): missing 'domains'") }
                acme.email = acmeTable.string("email")
                if let directory = acmeTable.string("directory") { acme.directory = directory }
                acme.caFile = acmeTable.string("ca")
                if let storage = acmeTable.string("storage") { acme.storage = storage }
                acmeTable.reportUnknownKeys()
                server.acme = acme
            }
            tls.reportUnknownKeys(hint: "tls takes self_signed, certs or acme")
            if server.selfSigned || !server.certificates.isEmpty || server.acme != nil { settings.server = server } else {
                tls.issues.add(line: tls.line, "\(tls.path): needs self_signed = true, certs = [...] or acme = {...}")
            }
        }
        settings.upstreamCA = reader.string("upstream_ca")
        if let insecure = reader.bool("upstream_insecure") { settings.upstreamInsecure = insecure }
        if let streams = reader.int("h2_max_streams", in: 1...ReverseTLSSettings.maxH2Streams) { settings.h2MaxStreams = streams }
        settings.redirectHTTP = reader.parsed("redirect_http", ListenAddress.init(parsing:))
        return settings
    }
}
