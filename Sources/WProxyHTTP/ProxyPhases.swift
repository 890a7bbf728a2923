import NIOCore
import NIOHTTP1

/// One upstream the engine may send a request to. `id` keys the connection pool and the
/// mode's health and load tables. Immutable; a class so that passing one around (several times
/// per request) costs one reference count, not one per string and existential inside.
package final class UpstreamPeer: Sendable {
    package let id: Int
    package let host: String
    package let port: Int
    /// `http://host:port`, for logs.
    package let name: String
    /// `host[:port]`: the `Host` sent with `--upstream-host`, or to an HTTP/1.0 client's request.
    package let hostHeader: String
    /// TLS for `https://` upstreams; nil for plain HTTP.
    package let security: (any UpstreamChannelSecurity)?
    /// The route's own retries, timeout, prefix stripping and header edits (nil: the listener's).
    package let policy: RoutePolicy?
    /// `security == nil`, kept apart: reading the optional existential costs a copy.
    package let isPlain: Bool

    package init(
        id: Int, host: String, port: Int, name: String, hostHeader: String, security: (any UpstreamChannelSecurity)? = nil,
        policy: RoutePolicy? = nil
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.name = name
        self.hostHeader = hostHeader
        self.security = security
        self.policy = policy
        self.isPlain = security == nil
    }
}

/// Upstreams already tried for one request (a bit set: no allocation for ids below 64).
package struct TriedUpstreams: Sendable {
    private var low: UInt64 = 0
    private var high: Set<Int> = []

    package init() {}

    package var isEmpty: Bool { low == 0 && high.isEmpty }

    package func contains(_ id: Int) -> Bool {
        (0..<64).contains(id) ? low & (1 << UInt64(id)) != 0 : high.contains(id)
    }

    package mutating func insert(_ id: Int) {
        if (0..<64).contains(id) { low |= 1 << UInt64(id) } else { high.insert(id) }
    }
}

/// What the mode decided for a request before any upstream is involved.
package enum RequestFilterDecision {
    /// Go on to `upstreamPeer`.
    case proxy
    /// Answer locally (static files); a nil result means "not here after all: proxy it".
    case local(EventLoopFuture<LocalResponse?>)
}

/// A response the proxy produces itself.
package struct LocalResponse {
    package enum Body {
        case empty
        case buffer(ByteBuffer)
        /// `length` bytes of an open file from `offset`; the engine closes the handle.
        case file(NIOFileHandle, offset: Int64, length: Int64)
    }

    package var head: HTTPResponseHead
    package var body: Body

    package init(head: HTTPResponseHead, body: Body) {
        self.head = head
        self.body = body
    }
}

/// The outcome of asking the mode for an upstream.
package enum PeerDecision {
    case peer(UpstreamPeer)
    /// Upstreams exist but none is healthy (or every one was tried): 503.
    case noneAvailable
    /// This listener has no upstreams (static only): 404.
    case noUpstreams
}

/// One finished request, for the access log.
package struct ProxyAccessRecord {
    package var client: String
    package var method: String
    package var host: String
    package var path: String
    package var status: Int
    package var upstream: String
    package var bytesIn: Int
    package var bytesOut: Int
    package var duration: TimeAmount
    package var upstreamDuration: TimeAmount?
}

/// The seam between the HTTP engine and a mode, modelled on Pingora's `ProxyHttp`: the engine owns
/// framing, pooling, streaming, retries and timeouts; the mode answers these questions. Every
/// method is called on the client connection's event loop and must not block.
package protocol ProxyPhases: Sendable {
    /// Called once per request head, after framing and size checks passed.
    func requestFilter(_ head: RawRequestHead, eventLoop: any EventLoop) -> RequestFilterDecision

    /// The next upstream to try, skipping `tried` (except that a single upstream may be tried again).
    func upstreamPeer(_ head: RawRequestHead, clientAddress: SocketAddress?, tried: TriedUpstreams) -> PeerDecision

    /// A connection to `peer` was made (true) or failed to be made, or was reset before any
    /// response byte (false): passive health marking.
    func upstreamResult(_ peer: UpstreamPeer, success: Bool)

    /// A request was assigned to `peer` (true) or finished there (false): least-conn bookkeeping.
    func requestAssigned(_ peer: UpstreamPeer, active: Bool)

    /// How many other attempts a request gets after a failed connect (SPEC `--retries`).
    var retries: Int { get }

    /// Whether `logging` wants records (false skips building them on the hot path).
    var logsRequests: Bool { get }

    func logging(_ record: ProxyAccessRecord)

    /// For the engine lane (`HTTPLane`: plain keep-alive HTTP served on an engine thread): true
    /// when `requestFilter` would say `.proxy` for `head`, decided without side effects and on any
    /// thread. False sends the request to the NIO engine. A mode without this never gets a lane.
    func laneProxies(_ head: RawRequestHead) -> Bool

    /// Whether this mode's connections may move to the lane at all.
    var allowsLane: Bool { get }
}

extension ProxyPhases {
    package func laneProxies(_ head: RawRequestHead) -> Bool { false }
    package var allowsLane: Bool { false }
}
