extension SOCKSOptions {
    static func decode(_ reader: inout TableReader) -> SOCKSOptions {
        var options = SOCKSOptions()
        options.auth = reader.credentials()
        (options.allow, options.denyDest) = reader.accessRules()
        if let timeout = reader.duration("handshake_timeout") { options.handshakeTimeout = timeout }
        return options
    }
}

extension ForwardOptions {
    static func decode(_ reader: inout TableReader) -> ForwardOptions {
        var options = ForwardOptions()
        options.auth = reader.credentials()
        (options.allow, options.denyDest) = reader.accessRules()
        if let size = reader.int("origin_pool_size", in: 0...10000) { options.originPoolSize = size }
        if let timeout = reader.duration("origin_idle_timeout") { options.originIdleTimeout = timeout }
        return options
    }
}
