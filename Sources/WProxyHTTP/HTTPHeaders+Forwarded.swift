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
        removeHopByHop(keepUpgrade: keepUpgrade)
        if let clientIP = info.clientIP {
            let previous = self[canonicalForm: "x-forwarded-for"]
            if previous.isEmpty {
                add(name: "X-Forwarded-For", value: clientIP)
            } else {
                var joined = ""
                for value in previous {
                    joined += value
                    joined += ", "
                }
                joined += clientIP
                replaceOrAdd(name: "X-Forwarded-For", value: joined)
            }
        }
        replaceOrAdd(name: "X-Forwarded-Proto", value: info.proto)
        if let host = info.host {
            replaceOrAdd(name: "X-Forwarded-Host", value: host)
        } else {
            remove(name: "X-Forwarded-Host")
        }
        if let hostOverride {
            replaceOrAdd(name: "Host", value: hostOverride)
        } else if info.host == nil {
            replaceOrAdd(name: "Host", value: defaultHost)
        }
    }
}
