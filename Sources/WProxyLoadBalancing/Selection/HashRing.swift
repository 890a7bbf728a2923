/// A consistent-hash ring over a tier's members (Karger et al., with virtual nodes).
///
/// Each member owns `weight × pointsPerWeight` points whose positions depend only on the member's
/// identity and the replica number. Hence:
/// - removing a member from the configuration moves only the keys that were on its points
///   (about 1/N of them) and every other key stays where it was;
/// - adding a member takes about 1/(N+1) of the keys, from every other member alike.
/// Both hold exactly while the total weight is at most ``maxPoints`` / ``pointsPerWeight`` (256);
/// above that the points are scaled down to bound memory and a reload may move more keys.
struct HashRing: Sendable {
    /// Virtual points per unit of weight: about 9 % load deviation between members.
    static let pointsPerWeight = 128
    /// Upper bound on the ring size (about 384 KiB) whatever the weights.
    static let maxPoints = 32_768
    /// Fewest points a member keeps when the ring is scaled down.
    static let minPointsPerMember = 8

    /// Point positions, sorted ascending.
    private let hashes: [UInt64]
    /// `owners[i]` is the member index owning `hashes[i]`.
    private let owners: [Int]

    /// - Parameters:
    ///   - identities: one stable, distinct identity per member.
    ///   - weights: the members' effective weights (not reduced by their gcd, which would make the
    ///     point count of a member depend on the other members).
    init(identities: [String], weights: [Int]) {
        precondition(identities.count == weights.count, "one weight per identity")
        let total = weights.reduce(0, +)
        let scaled = total * Self.pointsPerWeight > Self.maxPoints
        var points: [(hash: UInt64, identity: String, owner: Int)] = []
        for (owner, identity) in identities.enumerated() {
            let count =
                scaled
                ? max(Self.minPointsPerMember, weights[owner] * Self.maxPoints / total)
                : weights[owner] * Self.pointsPerWeight
            for replica in 0..<count {
                points.append((StableHash.hash(identity, replica: replica), identity, owner))
            }
        }
        // Identity breaks hash ties so the order never depends on member positions.
        points.sort { ($0.hash, $0.identity) < ($1.hash, $1.identity) }
        hashes = points.map(\.hash)
        owners = points.map(\.owner)
    }

    var pointCount: Int { hashes.count }

    /// Index of the first point at or after `hash`, wrapping to 0 past the last one.
    func firstPoint(atOrAfter hash: UInt64) -> Int {
        var low = 0
        var high = hashes.count
        while low < high {
            let middle = low + (high - low) / 2
            if hashes[middle] < hash {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == hashes.count ? 0 : low
    }

    /// The member owning point `index` (taken modulo the ring size).
    func owner(ofPoint index: Int) -> Int {
        owners[index % owners.count]
    }
}
