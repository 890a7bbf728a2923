import Synchronization

/// The primaries or the backups of one selector, with everything a policy needs precomputed.
///
/// Immutable except for `cursor`, an atomic that advances once per pick, so picking never locks.
/// The policies themselves live in the `BackendTier+Policy.swift` files.
final class BackendTier: Sendable {
    let members: [Backend]
    /// Smooth weighted round-robin cycle, also the weighted rotation that breaks least-conn ties.
    let sequence: SmoothWeightedSequence
    /// Running sums of `sequence.weights`; `cumulativeWeights[i]` is the sum up to and including i.
    let cumulativeWeights: [Int]
    /// Present only for the hashing policies.
    let ring: HashRing?
    /// Position in `sequence` of the next round-robin pick.
    let cursor = Atomic<UInt>(0)

    init(members: [Backend], buildRing: Bool) {
        self.members = members
        sequence = SmoothWeightedSequence(weights: members.map(\.effectiveWeight))
        var sum = 0
        cumulativeWeights = sequence.weights.map { weight in
            sum += weight
            return sum
        }
        ring =
            buildRing
            ? HashRing(identities: Self.ringIdentities(members), weights: members.map(\.effectiveWeight)) : nil
    }

    var isEmpty: Bool { members.isEmpty }
    var totalWeight: Int { cumulativeWeights.last ?? 0 }

    /// The weight member `index` is balanced with.
    func weight(_ index: Int) -> Int {
        sequence.weights[index]
    }

    /// Names, made distinct: a name listed twice gets a suffix on its second occurrence so both
    /// copies own points (the suffix keeps the first copy's points where they were).
    private static func ringIdentities(_ members: [Backend]) -> [String] {
        var seen: [String: Int] = [:]
        return members.map { member in
            let occurrence = seen[member.name, default: 0]
            seen[member.name] = occurrence + 1
            return occurrence == 0 ? member.name : "\(member.name)\u{0}\(occurrence)"
        }
    }
}
