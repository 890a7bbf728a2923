import Synchronization

/// A lock-free, thread-safe pseudo-random source shared by all event loops.
///
/// It is SplitMix64 with its state in an atomic: every draw advances the state by the golden-ratio
/// increment with one `wrappingAdd`, so concurrent callers each get a distinct state and never
/// wait. The output passes through a strong mixer, which is all SplitMix64 needs. A fixed seed makes
/// tests reproducible; the default seed comes from the system generator.
final class RandomSource: Sendable {
    private static let increment: UInt64 = 0x9e37_79b9_7f4a_7c15
    private let state: Atomic<UInt64>

    init(seed: UInt64? = nil) {
        var system = SystemRandomNumberGenerator()
        state = Atomic(seed ?? system.next())
    }

    func next() -> UInt64 {
        var z = state.wrappingAdd(Self.increment, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A value in `0..<upperBound` (Lemire's multiply-shift; the bias is below 2^-40 for the
    /// bounds used here, which are sums of weights).
    func next(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "upper bound must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(upperBound)).high)
    }
}
