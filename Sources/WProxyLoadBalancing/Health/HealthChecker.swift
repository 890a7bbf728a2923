/// Probes every backend every `interval` until its task is cancelled, records the results in a
/// ``HealthTable`` and reports each state change.
///
/// Guarantees:
/// - A round starts at once, then one every `interval` measured from the start of the previous
///   round (on the injected clock), so slow probes do not make the schedule drift; a round that
///   overruns the interval is followed by the next one immediately, never by two at once.
/// - The probes of one round run concurrently in a task group, and a round ends when all of them
///   have finished, so a backend never has two probes in flight.
/// - `onTransition` is called from the task running ``run()``, once per change, in the order the
///   results arrive.
/// - ``run()`` returns soon after its task is cancelled (it cancels the probes in flight).
///
/// It is a plain value with an async `run()`, so the runtime can wrap it in a `Service`.
package struct HealthChecker<C: Clock>: Sendable where C.Duration == Swift.Duration {
    package let backends: [Backend]
    package let table: HealthTable
    package let interval: Duration
    private let probe: any HealthProbe
    private let clock: C
    private let onTransition: @Sendable (Backend, HealthTransition) -> Void

    package init(
        backends: [Backend], table: HealthTable, probe: some HealthProbe, interval: Duration, clock: C,
        onTransition: @escaping @Sendable (Backend, HealthTransition) -> Void
    ) {
        self.backends = backends
        self.table = table
        self.probe = probe
        self.interval = interval
        self.clock = clock
        self.onTransition = onTransition
    }

    /// Runs rounds until the task is cancelled.
    package func run() async {
        while !Task.isCancelled {
            let deadline = clock.now.advanced(by: interval)
            await runRound()
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return  // cancelled
            }
        }
    }

    /// Probes every backend once, concurrently, and records the results.
    package func runRound() async {
        await withTaskGroup(of: (Backend, Bool).self) { group in
            for backend in backends {
                group.addTask { [probe] in
                    (backend, await probe.probe(backend))
                }
            }
            for await (backend, healthy) in group {
                if Task.isCancelled {
                    continue  // a cancelled probe's "failure" says nothing about the backend
                }
                if let transition = table.record(backend.id, success: healthy) {
                    onTransition(backend, transition)
                }
            }
        }
    }
}
