import NIOHTTP1

/// What the proxy adds to a request it passes on (the `X-Forwarded-*` family).
package struct ForwardedInfo: Sendable {
    /// The client's IP address as text (no port), or nil when unknown.
    package var clientIP: String?
    /// `http` or `https`: how the client reached the proxy.
    package var proto: String
    /// The `Host` the client asked for, or nil when it sent none.
    package var host: String?

    package init(clientIP: String?, proto: String, host: String?) {
        self.clientIP = clientIP
        self.proto = proto
        self.host = host
    }
}

extension HTTPHeaders {
    /// Rewrites a client's request headers for the upstream:
    /// - hop-by-hop headers are removed (keeping `Upgrade` for a WebSocket handshake);
    /// - the client address is appended to `X-Forwarded-For` (one list, after what the client sent);
    /// - `X-Forwarded-Proto` and `X-Forwarded-Host` are set (replacing any value from the client);
    /// - `Host` is kept, or replaced by `hostOverride` when given (`--upstream-host`), or set to
    ///   `defaultHost` (the upstream's `host:port`) when the client sent none (HTTP/1.0).
    package mutating func rewriteForUpstream(
        _ info: ForwardedInfo, hostOverride: String?, defaultHost: String, keepUpgrade: Bool
    ) {
        // One pass: drop hop-by-hop and the headers we set, remember the client's X-Forwarded-For.
        let named = connectionTokens()
        var out = HTTPHeaders()
        out.reserveCapacity(count + 4)
        var forwardedFor: String?
        var hasHost = false
        var keptUpgrade = false
        for (name, value) in self {
            switch name.utf8.count {
            case 4 where headerNameEquals(name, "host"):
                hasHost = true
                if hostOverride != nil { continue }
            case 15 where headerNameEquals(name, "x-forwarded-for"):
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                continue
            case 16 where headerNameEquals(name, "x-forwarded-host"):
                continue
            case 17 where headerNameEquals(name, "x-forwarded-proto"):
                continue
            default:
                if isFixedHopByHop(name) {
                    if keepUpgrade && headerNameEquals(name, "upgrade") {
                        keptUpgrade = true
                        out.add(name: name, value: value)
                    }
                    continue
                }
                if !named.isEmpty, named.contains(where: { $0.lowercased() == name.lowercased() }) { continue }
            }
            out.add(name: name, value: value)
        }
        if keptUpgrade { out.add(name: "Connection", value: "upgrade") }
        if let hostOverride {
            out.add(name: "Host", value: hostOverride)
        } else if !hasHost {
            out.add(name: "Host", value: defaultHost)
        }
        if let clientIP = info.clientIP {
            out.add(name: "X-Forwarded-For", value: forwardedFor.map { $0 + ", " + clientIP } ?? clientIP)
        } else if let forwardedFor {
            out.add(name: "X-Forwarded-For", value: forwardedFor)
        }
        out.add(name: "X-Forwarded-Proto", value: info.proto)
        if let host = info.host { out.add(name: "X-Forwarded-Host", value: host) }
        self = out
    }
}
