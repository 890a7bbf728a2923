@testable import WProxyLoadBalancing

/// Backends named `b0`, `b1`, ... with the given weights; `backups` lists ids that are backups.
func makeBackends(weights: [Int], backups: Set<Int> = [], prefix: String = "b") -> [Backend] {
    weights.enumerated().map { id, weight in
        Backend(id: id, name: "\(prefix)\(id)", weight: weight, backup: backups.contains(id))
    }
}

/// Picks `count` times and returns how often each backend id was chosen (nil picks are dropped).
func tally(
    _ selector: BackendSelector, picks count: Int, key: SelectionKey = .none,
    accept: (Backend) -> Bool = { _ in true }
) -> [Int] {
    var counts = Array(repeating: 0, count: selector.backends.count)
    for _ in 0..<count {
        if let backend = selector.select(key: key, accept: accept) {
            counts[backend.id] += 1
        }
    }
    return counts
}

/// Names of `count` successive picks, e.g. `["a", "a", "b"]`.
func pickNames(_ selector: BackendSelector, picks count: Int, accept: (Backend) -> Bool = { _ in true }) -> [String] {
    (0..<count).compactMap { _ in selector.select(key: .none, accept: accept)?.name }
}

/// Whether `value` is within `tolerance` of `expected`.
func isClose(_ value: Double, to expected: Double, tolerance: Double) -> Bool {
    abs(value - expected) <= tolerance
}
