/// A set of member indices for one selection, e.g. the backends `accept` already rejected.
///
/// For up to 64 members it is one word on the stack; for more it allocates its words on the first
/// insertion only, so a selection whose first candidate is accepted never allocates.
struct MemberSet {
    private let capacity: Int
    private var small: UInt64 = 0
    private var large: [UInt64] = []
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    func contains(_ index: Int) -> Bool {
        let bit = UInt64(1) << UInt64(index & 63)
        if capacity <= 64 {
            return small & bit != 0
        }
        return !large.isEmpty && large[index >> 6] & bit != 0
    }

    /// Adds `index` (which must be below the capacity); returns whether it was new.
    @discardableResult
    mutating func insert(_ index: Int) -> Bool {
        guard !contains(index) else { return false }
        let bit = UInt64(1) << UInt64(index & 63)
        if capacity <= 64 {
            small |= bit
        } else {
            if large.isEmpty {
                large = Array(repeating: 0, count: (capacity + 63) / 64)
            }
            large[index >> 6] |= bit
        }
        count += 1
        return true
    }
}
