/// An immutable selection snapshot built from configuration and shared by all event loops.
///
/// Build a new selector on reload and swap it in atomically; never mutate one in place. Selection
/// is thread-safe and takes no lock: round-robin and least-conn advance one atomic cursor per pick
/// and random draws advance one atomic random state. Health is not the selector's business: the
/// caller passes an `accept` predicate (healthy, not already tried for this request, ...), in the
/// manner of Pingora's `select_with`.
///
/// Guarantees:
/// - Primaries are always preferred; backups are considered only when `accept` rejects every primary.
/// - Weights count in every policy.
/// - `accept` is called at most once per backend per tier for round-robin, least-conn and the
///   hashing policies, and a few times per backend at worst for random and p2c. It must not call
///   back into the selector.
/// - Memory is bounded whatever the weights: the round-robin cycle and the hash ring are capped
///   (see ``SmoothWeightedSequence`` and ``HashRing``).
package final class BackendSelector: Sendable {
    /// All backends, primaries and backups, indexed by ``Backend/id``.
    package let backends: [Backend]
    package let policy: BalancePolicy
    /// The counts read by `least-conn` and `p2c`: the instance given to `init`, or a fresh one.
    package let connectionCounts: ConnectionCounts

    private let primaries: BackendTier
    private let backups: BackendTier
    private let random: RandomSource

    /// - Parameters:
    ///   - backends: every upstream; `backends[i].id` must be `i`.
    ///   - policy: how to choose.
    ///   - connectionCounts: shared active-connection counts; pass the previous selector's
    ///     instance on reload. If nil, a fresh instance sized for `backends` is created.
    ///   - randomSeed: fixes the random sequence of `random` and `p2c`, for tests.
    package init(
        backends: [Backend], policy: BalancePolicy, connectionCounts: ConnectionCounts? = nil,
        randomSeed: UInt64? = nil
    ) {
        assert(
            backends.indices.allSatisfy { backends[$0].id == $0 },
            "Backend.id must equal the backend's index in the selector's array")
        self.backends = backends
        self.policy = policy
        self.connectionCounts = connectionCounts ?? ConnectionCounts(count: backends.count)
        primaries = BackendTier(members: backends.filter { !$0.backup }, buildRing: policy.usesHashRing)
        backups = BackendTier(members: backends.filter(\.backup), buildRing: policy.usesHashRing)
        random = RandomSource(seed: randomSeed)
    }

    /// Picks a backend for which `accept` is true: primaries first, backups only if no primary is
    /// accepted. Returns nil when nothing is acceptable.
    ///
    /// `key` matters only to `ip-hash` and `hash`; with ``SelectionKey/none`` or an empty key
    /// (as nginx does) they behave like round-robin.
    package func select(key: SelectionKey = .none, accept: (Backend) -> Bool) -> Backend? {
        let point = policy.usesHashRing ? Self.ringPoint(of: key) : nil
        if let chosen = pick(from: primaries, point: point, accept: accept) {
            return chosen
        }
        return pick(from: backups, point: point, accept: accept)
    }

    /// Picks among all backends, with no filter.
    package func select(key: SelectionKey = .none) -> Backend? {
        select(key: key) { _ in true }
    }

    private func pick(from tier: BackendTier, point: UInt64?, accept: (Backend) -> Bool) -> Backend? {
        guard !tier.isEmpty else { return nil }
        if let point {
            return tier.pickOnRing(hash: point, accept: accept)
        }
        switch policy {
        case .roundRobin, .ipHash, .hash:
            return tier.pickRoundRobin(accept: accept)
        case .leastConn:
            return tier.pickLeastConnected(counts: connectionCounts, accept: accept)
        case .random:
            return tier.pickRandom(random: random, accept: accept)
        case .p2c:
            return tier.pickPowerOfTwo(counts: connectionCounts, random: random, accept: accept)
        }
    }

    /// The ring position of `key`, or nil when there is nothing (or only an empty value) to hash.
    static func ringPoint(of key: SelectionKey) -> UInt64? {
        switch key {
        case .none:
            nil
        case .clientAddress(let bytes):
            bytes.isEmpty ? nil : StableHash.hash(bytes)
        case .key(let string):
            string.isEmpty ? nil : StableHash.hash(string)
        }
    }
}
