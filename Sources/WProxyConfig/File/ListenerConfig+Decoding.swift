extension ListenerConfig {
    /// Decodes one `[[listeners]]` table: the shared keys here, the mode's own keys in its decoder.
    static func decode(_ reader: inout TableReader) -> ListenerConfig? {
        guard let modeName = reader.string("mode") else {
            if !reader.has("mode") {
                reader.issues.add(line: reader.line, "\(reader.path): missing 'mode' (one of \(Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return nil
        }
        guard let mode = Mode(rawValue: modeName) else {
            reader.fail("mode", "'\(modeName)' is not one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        var listener = ListenerConfig(mode: mode, listen: [])
        listener.name = reader.string("name")
        if let listen = reader.parsedList("listen", ListenAddress.init(parsing:)) {
            listener.listen = listen
        } else if !reader.has("listen") {
            if let address = mode.defaultListen.flatMap({ try? ListenAddress(parsing: $0) }) {
                listener.listen = [address]
            } else {
                reader.issues.add(line: reader.line, "\(reader.path): missing 'listen'")
            }
        }
        if let max = reader.int("max_connections", in: 1...10_000_000) { listener.maxConnections = max }
        if let timeout = reader.duration("connect_timeout") { listener.connectTimeout = timeout }
        listener.idleTimeout = reader.duration("idle_timeout")
        if let hops = reader.parsedList("upstream_proxy", ProxyURL.init(parsing:)) { listener.upstreamProxies = hops }
        switch mode {
        case .tcp:
            listener.tcp = TCPOptions.decode(&reader)
        case .transparent:
            var options = TransparentOptions()
            if let tproxy = reader.bool("tproxy") { options.tproxy = tproxy }
            if let sniff = reader.bool("sniff") { options.sniff = sniff }
            listener.transparent = options
        case .socks:
            listener.socks = SOCKSOptions.decode(&reader)
        case .forward:
            listener.forward = ForwardOptions.decode(&reader)
        case .reverse:
            var reverse = ReverseOptions.decode(&reader)
            reverse.sites = ReverseSite.decodeSites(&reader, defaults: reverse)
            listener.reverse = reverse
        }
        reader.reportUnknownKeys()
        return listener
    }
}

extension Mode {
    /// The SPEC's default `--listen` per mode (tcp has none: it is required).
    package var defaultListen: String? {
        switch self {
        case .reverse: "127.0.0.1:8080"
        case .forward: "127.0.0.1:3128"
        case .socks: "127.0.0.1:1080"
        case .transparent: "127.0.0.1:12345"
        case .tcp: nil
        }
    }
}
