import NIOCore
import WProxyConfig
import WProxyProtocols

/// An `http://` hop: `CONNECT host:port`, then the response head; a 2xx opens the tunnel.
struct HTTPConnectHopNegotiation: HopNegotiation {
    private let hop: ProxyURL
    private let host: String
    private let port: Int
    private var buffered = ByteBuffer()
    private var done = false

    init(hop: ProxyURL, host: String, port: Int) {
        self.hop = hop
        self.host = host
        self.port = port
    }

    private var target: String { HostPort(host: host, port: port).description }

    mutating func start() -> HopStep {
        let credentials = hop.username.map { HTTPConnectRequest.Credentials(username: $0, password: hop.password ?? "") }
        do {
            let request = try HTTPConnectRequest(host: host, port: port, credentials: credentials)
            var bytes = ByteBuffer()
            bytes.writeHTTPConnectRequest(request)
            return .send(bytes)
        } catch {
            return fail(.other, "cannot ask \(hop) for this destination: \(error)")
        }
    }

    mutating func received(_ bytes: ByteBuffer) -> HopStep {
        guard !done else { return .established(leftover: bytes) }
        var bytes = bytes
        buffered.writeBuffer(&bytes)
        let response: HTTPConnectResponse
        do {
            guard let parsed = try buffered.readHTTPConnectResponse() else { return .needMore }
            response = parsed
        } catch {
            return fail(.other, "upstream proxy \(hop) sent a malformed reply: \(error)")
        }
        guard response.isSuccess else {
            return fail(Self.kind(forStatus: response.statusCode),
                        "upstream proxy \(hop) answered \(response.statusCode) \(response.reason)")
        }
        done = true
        let leftover = buffered.readableBytes > 0 ? buffered : nil
        buffered = ByteBuffer()
        return .established(leftover: leftover)
    }

    /// An HTTP proxy's refusal, in dialer terms.
    static func kind(forStatus status: Int) -> DialError.Kind {
        switch status {
        case 407: return .proxyAuthRequired
        case 403: return .notAllowed
        case 502, 503: return .refused
        case 504: return .timedOut
        default: return .other
        }
    }

    private mutating func fail(_ kind: DialError.Kind, _ detail: String) -> HopStep {
        done = true
        buffered = ByteBuffer()
        return .failed(DialError(kind: kind, target: target, detail: detail))
    }
}
