import WProxyConfig
import WProxyHTTP
import WProxyLoadBalancing

/// The upstreams of a `reverse` listener with their balancer, health and load bookkeeping.
/// Immutable after construction (the tables inside are thread-safe), so a reload can build a new
/// group and swap it in whole.
final class ReverseUpstreamGroup: Sendable {
    let upstreams: [HTTPUpstream]
    let peers: [UpstreamPeer]
    let backends: [Backend]
    let selector: BackendSelector
    let health: HealthTable
    let counts: ConnectionCounts
    /// The peer id of upstream 0: a listener with several routes numbers all its peers in one
    /// sequence (the connection pool is keyed by peer id); backends keep local ids from 0.
    let firstID: Int

    init(
        upstreams: [HTTPUpstream], policy: BalancePolicyName, security: (any UpstreamChannelSecurity)? = nil,
        firstID: Int = 0, route: RoutePolicy? = nil
    ) {
        self.upstreams = upstreams
        self.firstID = firstID
        peers = upstreams.enumerated().map { index, upstream in
            UpstreamPeer(
                id: firstID + index, host: upstream.address.host, port: upstream.address.port, name: upstream.description,
                hostHeader: upstream.hostHeader, security: upstream.scheme == .https ? security : nil, policy: route)
        }
        let backends = upstreams.enumerated().map { index, upstream in
            Backend(id: index, name: upstream.description, weight: upstream.weight, backup: upstream.backup)
        }
        self.backends = backends
        let counts = ConnectionCounts(count: upstreams.count)
        self.counts = counts
        health = HealthTable(count: upstreams.count)
        selector = BackendSelector(
            backends: backends, policy: BalancePolicy(rawValue: policy.rawValue) ?? .roundRobin, connectionCounts: counts)
    }

    /// The next upstream for a request: healthy and not tried yet; when every candidate was tried
    /// and there is only one upstream, that one again (SPEC `--retries`).
    func pick(key: SelectionKey, tried: TriedUpstreams) -> Backend? {
        if let backend = selector.select(key: key, accept: { health.isHealthy($0.id) && !tried.contains(firstID + $0.id) }) {
            return backend
        }
        if backends.count == 1, !tried.isEmpty, health.isHealthy(0) {
            return backends[0]
        }
        return nil
    }
}
