import NIOHTTP1

extension HTTPHeaders {
    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the
    /// proxy-only ones. They are never passed on to the next hop.
    package static let hopByHopNames: [String] = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Removes hop-by-hop headers: the fixed list and every header named in `Connection`.
    /// With `keepUpgrade`, `Upgrade` and `Connection: upgrade` stay (a WebSocket handshake being tunnelled).
    /// `Transfer-Encoding` is removed because each hop re-frames the body itself.
    package mutating func removeHopByHop(keepUpgrade: Bool = false) {
        var named: [String] = []
        for value in self[canonicalForm: "connection"] {
            let token = value.lowercased()
            if !(keepUpgrade && token == "upgrade") { named.append(String(token)) }
        }
        for name in Self.hopByHopNames where !(keepUpgrade && (name == "upgrade" || name == "connection")) {
            remove(name: name)
        }
        for name in named where !name.isEmpty {
            remove(name: name)
        }
        if keepUpgrade, contains(name: "upgrade") {
            replaceOrAdd(name: "connection", value: "upgrade")
        }
    }
}
