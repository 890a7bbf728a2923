/// How a ``BackendSelector`` chooses among acceptable backends. Every policy honours weights.
///
/// The raw values are the spellings used by `--lb` and the configuration file.
package enum BalancePolicy: String, Sendable, CaseIterable {
    /// Smooth weighted round-robin (nginx's algorithm): weights 5:1:1 give `a a b a c a a`.
    case roundRobin = "round-robin"
    /// The backend with the fewest active connections per unit of weight.
    case leastConn = "least-conn"
    /// A weighted random pick.
    case random
    /// Power of two choices: two distinct weighted random picks, the less loaded one wins.
    case p2c
    /// Consistent hashing on the client address; falls back to round-robin without one.
    case ipHash = "ip-hash"
    /// Consistent hashing on a request key; falls back to round-robin without one.
    case hash

    /// Whether the policy reads ``ConnectionCounts``.
    package var usesConnectionCounts: Bool {
        switch self {
        case .leastConn, .p2c: true
        case .roundRobin, .random, .ipHash, .hash: false
        }
    }

    /// Whether the policy places backends on a consistent-hash ring.
    package var usesHashRing: Bool {
        switch self {
        case .ipHash, .hash: true
        case .roundRobin, .leastConn, .random, .p2c: false
        }
    }
}
