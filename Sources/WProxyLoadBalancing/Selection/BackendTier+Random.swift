extension BackendTier {
    /// A weighted random accepted member (`random` policy).
    func pickRandom(random: RandomSource, accept: (Backend) -> Bool) -> Backend? {
        drawWeighted(random: random, excluding: nil, accept: accept).map { members[$0] }
    }

    /// Power of two choices (`p2c`): two distinct weighted random accepted members; the one with
    /// fewer active connections per unit of weight wins, the first drawn on a tie. With a single
    /// accepted member that member is returned.
    func pickPowerOfTwo(counts: ConnectionCounts, random: RandomSource, accept: (Backend) -> Bool) -> Backend? {
        guard let first = drawWeighted(random: random, excluding: nil, accept: accept) else { return nil }
        guard let second = drawWeighted(random: random, excluding: first, accept: accept) else {
            return members[first]
        }
        let firstActive = counts.active(members[first].id)
        let secondActive = counts.active(members[second].id)
        return secondActive * weight(first) < firstActive * weight(second) ? members[second] : members[first]
    }

    /// Index of a member drawn with probability proportional to its weight among the members
    /// that are accepted and not `excluding`; nil if there are none.
    ///
    /// Two draws over the whole tier are tried first (no allocation, O(log n)); if both miss, the
    /// accepted weight is summed and drawn from exactly. Each stage yields the same conditional
    /// distribution, so the result is exactly weighted whichever stage answers.
    func drawWeighted(random: RandomSource, excluding: Int?, accept: (Backend) -> Bool) -> Int? {
        guard !isEmpty else { return nil }
        for _ in 0..<2 {
            let index = member(atWeightOffset: random.next(below: totalWeight))
            if index != excluding && accept(members[index]) {
                return index
            }
        }
        var accepted = MemberSet(capacity: members.count)
        var acceptedWeight = 0
        for index in members.indices where index != excluding && accept(members[index]) {
            accepted.insert(index)
            acceptedWeight += weight(index)
        }
        guard acceptedWeight > 0 else { return nil }
        var offset = random.next(below: acceptedWeight)
        for index in members.indices where accepted.contains(index) {
            offset -= weight(index)
            if offset < 0 {
                return index
            }
        }
        return nil  // unreachable: the offsets above sum to acceptedWeight
    }

    /// The member whose slice of `0..<totalWeight` contains `offset` (binary search).
    private func member(atWeightOffset offset: Int) -> Int {
        var low = 0
        var high = cumulativeWeights.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            if cumulativeWeights[middle] > offset {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }
}
