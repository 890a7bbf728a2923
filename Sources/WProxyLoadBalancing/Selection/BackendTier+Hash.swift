extension BackendTier {
    /// The owner of the first ring point at or after `hash`, walking clockwise past rejected
    /// members. Because a member's points are scattered over the ring, the keys of a rejected
    /// member spread over all the others instead of piling onto one neighbour.
    func pickOnRing(hash: UInt64, accept: (Backend) -> Bool) -> Backend? {
        guard let ring, ring.pointCount > 0 else { return nil }
        let start = ring.firstPoint(atOrAfter: hash)
        var rejected = MemberSet(capacity: members.count)
        for step in 0..<ring.pointCount {
            let index = ring.owner(ofPoint: start + step)
            if rejected.contains(index) {
                continue
            }
            if accept(members[index]) {
                return members[index]
            }
            rejected.insert(index)
            if rejected.count == members.count {
                return nil
            }
        }
        return nil
    }
}
