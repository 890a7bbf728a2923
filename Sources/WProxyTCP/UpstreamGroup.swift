import WProxyConfig
import WProxyLoadBalancing

/// The upstreams of a `tcp` listener with their balancer, health and load bookkeeping.
/// Immutable after construction; the tables inside are thread-safe.
final class UpstreamGroup: Sendable {
    let endpoints: [UpstreamEndpoint]
    let backends: [Backend]
    let selector: BackendSelector
    let health: HealthTable
    let counts: ConnectionCounts

    init(endpoints: [UpstreamEndpoint], policy: BalancePolicyName) {
        self.endpoints = endpoints
        let backends = endpoints.enumerated().map { index, endpoint in
            Backend(id: index, name: endpoint.address.description, weight: endpoint.weight, backup: endpoint.backup)
        }
        self.backends = backends
        let counts = ConnectionCounts(count: endpoints.count)
        self.counts = counts
        self.health = HealthTable(count: endpoints.count)
        self.selector = BackendSelector(
            backends: backends, policy: BalancePolicy(rawValue: policy.rawValue) ?? .roundRobin, connectionCounts: counts)
    }

    /// The next backend to try: healthy and not tried yet. When every candidate was tried and there is
    /// only one upstream, that one again (SPEC: "or the same one again when there is only one").
    func pick(key: SelectionKey, tried: Set<Int>) -> Backend? {
        if let backend = selector.select(key: key, accept: { self.health.isHealthy($0.id) && !tried.contains($0.id) }) {
            return backend
        }
        if backends.count == 1, !tried.isEmpty, health.isHealthy(0) {
            return backends[0]
        }
        return nil
    }
}
