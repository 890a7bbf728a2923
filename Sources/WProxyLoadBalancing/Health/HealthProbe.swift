/// How one backend is probed: a TCP connect, an HTTP GET of a path, ...
///
/// Implemented by the I/O targets; this target only schedules probes and keeps the results. A
/// probe must finish on its own (apply its own timeout) and should return promptly when its task
/// is cancelled; `false` means the backend failed the check.
package protocol HealthProbe: Sendable {
    func probe(_ backend: Backend) async -> Bool
}
