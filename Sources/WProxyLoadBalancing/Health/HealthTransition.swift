/// A change of a backend's health state, reported once per change so the caller can log
/// "upstream X is down" / "upstream X is up" and update its metrics.
package enum HealthTransition: Sendable, Equatable {
    case becameHealthy
    case becameUnhealthy
}
