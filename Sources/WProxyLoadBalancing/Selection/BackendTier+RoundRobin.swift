import Synchronization

extension BackendTier {
    /// Smooth weighted round-robin: the next member of the precomputed cycle that `accept` takes.
    ///
    /// One relaxed atomic increment claims a position, so concurrent pickers never wait and, over
    /// whole cycles, each member is picked exactly its weight's share. If the claimed member is
    /// rejected, the walk goes forward through the cycle (calling `accept` at most once per
    /// member) and then tries to move the shared cursor past the member it found. That skip makes
    /// the remaining members share the rejected one's turns in proportion to their own weights
    /// rather than handing them all to whichever member follows it. The skip is a single
    /// compare-exchange that is simply dropped if another pick moved the cursor meanwhile.
    func pickRoundRobin(accept: (Backend) -> Bool) -> Backend? {
        let order = sequence.order
        guard !order.isEmpty else { return nil }
        let length = UInt(order.count)
        let claimed = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        let start = Int(claimed % length)
        var rejected = MemberSet(capacity: members.count)
        for step in 0..<order.count {
            let position = start + step < order.count ? start + step : start + step - order.count
            let index = order[position]
            if rejected.contains(index) {
                continue
            }
            if accept(members[index]) {
                if step > 0 {
                    _ = cursor.compareExchange(
                        expected: claimed &+ 1, desired: claimed &+ UInt(step) &+ 1, ordering: .relaxed)
                }
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
