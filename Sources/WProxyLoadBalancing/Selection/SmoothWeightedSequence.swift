/// The schedule of smooth weighted round-robin (nginx's `ngx_http_upstream_get_peer`), computed
/// once so that picking is a single atomic increment instead of a locked update of every peer's
/// current weight.
///
/// Guarantees:
/// - Over one whole cycle member `i` appears exactly `weights[i]` times, where `weights` are the
///   reduced weights below, and picks are interleaved the way nginx interleaves them
///   (5:1:1 gives `a a b a c a a`).
/// - Every member appears at least once, so walking one cycle visits every member.
/// - The cycle never exceeds ``maxLength`` plus the member count, however large the weights are.
struct SmoothWeightedSequence: Sendable {
    /// Longest cycle kept before weights are scaled down (about 32 KiB of indices).
    static let maxLength = 4096

    /// The weights the cycle honours: the effective weights divided by their gcd and, if their sum
    /// is above ``maxLength``, scaled down proportionally (never below 1).
    let weights: [Int]
    /// Member indices in pick order; `order.count == weights.reduce(0, +)`.
    let order: [Int]

    init(weights rawWeights: [Int]) {
        let weights = Self.reduce(rawWeights)
        self.weights = weights
        self.order = Self.schedule(weights)
    }

    /// Divides by the gcd (1:3 and 100:300 give the same 4-long cycle), then caps the total.
    static func reduce(_ rawWeights: [Int]) -> [Int] {
        let clamped = rawWeights.map { min(max($0, 1), Backend.maxWeight) }
        let divisor = clamped.reduce(0) { gcd($0, $1) }
        guard divisor > 0 else { return clamped }
        let reduced = clamped.map { $0 / divisor }
        let total = reduced.reduce(0, +)
        guard total > maxLength else { return reduced }
        return reduced.map { max(1, $0 * maxLength / total) }
    }

    /// nginx's smooth weighted round-robin: each step every member gains its weight, the member
    /// with the highest current weight (the first one on ties) is picked and loses the total.
    /// After `total` steps every current weight is back to zero, so the cycle repeats exactly.
    private static func schedule(_ weights: [Int]) -> [Int] {
        let total = weights.reduce(0, +)
        var current = Array(repeating: 0, count: weights.count)
        var order: [Int] = []
        order.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for index in weights.indices {
                current[index] += weights[index]
                if current[index] > current[best] {
                    best = index
                }
            }
            current[best] -= total
            order.append(best)
        }
        return order
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 {
            (a, b) = (b, a % b)
        }
        return a
    }
}
