extension TCPOptions {
    static func decode(_ reader: inout TableReader) -> TCPOptions {
        var options = TCPOptions()
        if let upstreams = reader.parsedList("upstream", UpstreamEndpoint.init(parsing:)) { options.upstreams = upstreams }
        if let routes = reader.parsedList("sni", SNIRoute.init(parsing:)) { options.sni = routes }
        if let lb = reader.string("lb") {
            if let policy = BalancePolicyName(rawValue: lb), policy != .hash { options.lb = policy } else {
                reader.fail("lb", "'\(lb)' is not one of round-robin, least-conn, random, p2c, ip-hash")
            }
        }
        if let check = reader.string("health_check") {
            if check == "tcp" { options.healthCheck = true } else {
                reader.fail("health_check", "tcp listeners support only \"tcp\", not '\(check)'")
            }
        }
        if let interval = reader.duration("health_interval") { options.healthInterval = interval }
        if let retries = reader.int("retries", in: 0...100) { options.retries = retries }
        if let version = reader.string("proxy_protocol") {
            if let parsed = ProxyProtocolVersion(rawValue: version) { options.proxyProtocol = parsed } else {
                reader.fail("proxy_protocol", "'\(version)' is not v1 or v2")
            }
        }
        if let timeout = reader.duration("handshake_timeout") { options.handshakeTimeout = timeout }
        return options
    }
}
