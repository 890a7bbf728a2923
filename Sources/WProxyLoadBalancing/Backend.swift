/// One upstream as the balancer sees it.
///
/// `Backend` is a plain value: the selector never changes it, and two selectors built from the same
/// configuration see equal backends.
///
/// Invariants the selector relies on (configuration validation is expected to enforce them; the
/// selector does not trap on violations):
/// - `id` is this backend's index in the `backends` array handed to ``BackendSelector``, so it can
///   index ``ConnectionCounts`` and ``HealthTable`` directly.
/// - `weight >= 1`. Values below 1 are treated as 1 and values above ``maxWeight`` as ``maxWeight``.
/// - `name` is this backend's identity on the consistent-hash ring: keep it stable across reloads
///   (e.g. `"10.0.0.1:5432"` or `"http://127.0.0.1:3000"`) so that keys stay where they were.
package struct Backend: Hashable, Sendable {
    /// The largest weight the selector honours; larger weights are clamped to it.
    /// It keeps every weighted computation far from overflow.
    package static let maxWeight = 1_000_000

    /// Index of this backend in the selector's `backends` array.
    package let id: Int
    /// Stable identity, also the key of its points on the hash ring.
    package let name: String
    /// Relative share of traffic, `>= 1`. Honoured by every policy.
    package let weight: Int
    /// A backup receives traffic only when no primary is acceptable.
    package let backup: Bool

    package init(id: Int, name: String, weight: Int = 1, backup: Bool = false) {
        self.id = id
        self.name = name
        self.weight = weight
        self.backup = backup
    }

    /// The weight the selector computes with: `weight` clamped to `1...maxWeight`.
    var effectiveWeight: Int {
        min(max(weight, 1), Self.maxWeight)
    }
}
