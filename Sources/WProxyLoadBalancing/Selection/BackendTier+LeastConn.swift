import Synchronization

extension BackendTier {
    /// The accepted member with the fewest active connections per unit of weight.
    ///
    /// Loads are compared as `activeA × weightB < activeB × weightA`, so no division rounds a
    /// weighted difference away. The scan starts at the member the smooth weighted round-robin
    /// cycle would pick next and keeps the first minimum, so equal loads (notably an idle pool)
    /// are spread in proportion to the weights instead of always landing on the first member.
    /// An idle accepted member ends the scan at once: nothing can beat zero.
    func pickLeastConnected(counts: ConnectionCounts, accept: (Backend) -> Bool) -> Backend? {
        let order = sequence.order
        guard !order.isEmpty else { return nil }
        let first = order[Int(cursor.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(order.count))]
        var best: (index: Int, active: Int)?
        for step in 0..<members.count {
            let index = first + step < members.count ? first + step : first + step - members.count
            let member = members[index]
            guard accept(member) else { continue }
            let active = counts.active(member.id)
            if active == 0 {
                return member
            }
            if let current = best {
                if active * weight(current.index) < current.active * weight(index) {
                    best = (index, active)
                }
            } else {
                best = (index, active)
            }
        }
        return best.map { members[$0.index] }
    }
}
