import Synchronization
import Testing

@testable import WProxyLoadBalancing

/// Answers from a per-backend script, then `true` once the script runs out.
private final class ScriptedProbe: HealthProbe {
    private let state: Mutex<(scripts: [String: [Bool]], calls: [String: Int])>

    init(_ scripts: [String: [Bool]]) {
        state = Mutex((scripts, [:]))
    }

    func probe(_ backend: Backend) async -> Bool {
        state.withLock { state in
            state.calls[backend.name, default: 0] += 1
            return state.scripts[backend.name]?.isEmpty == false ? state.scripts[backend.name]!.removeFirst() : true
        }
    }

    func calls(_ name: String) -> Int {
        state.withLock { $0.calls[name, default: 0] }
    }
}

/// A probe that returns only once `parties` probes are in flight together: a round that probed
/// one backend after another would never finish.
private final class BarrierProbe: HealthProbe {
    private let parties: Int
    private let state = Mutex<(arrived: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))

    init(parties: Int) {
        self.parties = parties
    }

    func probe(_ backend: Backend) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let release = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.arrived += 1
                state.waiting.append(continuation)
                guard state.arrived == parties else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in release { waiter.resume() }
        }
        return true
    }
}

private final class TransitionLog: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ backend: Backend, _ transition: HealthTransition) {
        entries.withLock { $0.append("\(backend.name) \(transition == .becameHealthy ? "up" : "down")") }
    }

    var all: [String] { entries.withLock { $0 } }
}

@Suite struct HealthCheckerTests {
    @Test(.timeLimit(.minutes(1)))
    func failingTwiceMarksDownAndOnePassRecovers() async {
        let clock = MockClock()
        let backends = makeBackends(weights: [1, 1])
        let table = HealthTable(count: 2)
        let probe = ScriptedProbe(["b0": [false, false, true]])
        let log = TransitionLog()
        let checker = HealthChecker(
            backends: backends, table: table, probe: probe, interval: .seconds(5), clock: clock,
            onTransition: log.append)
        let task = Task { await checker.run() }

        await clock.waitForSleepCalls(1)  // first round, at once: one failure is not enough
        #expect(table.isHealthy(0))
        #expect(log.all.isEmpty)
        #expect(clock.pendingDeadlines == [MockClock.Instant(offset: .seconds(5))])

        clock.advance(by: .seconds(5))
        await clock.waitForSleepCalls(2)
        #expect(!table.isHealthy(0))
        #expect(table.isHealthy(1))
        #expect(log.all == ["b0 down"])

        clock.advance(by: .seconds(5))
        await clock.waitForSleepCalls(3)
        #expect(table.isHealthy(0))
        #expect(log.all == ["b0 down", "b0 up"])
        #expect(probe.calls("b0") == 3)
        #expect(probe.calls("b1") == 3)

        task.cancel()
        await task.value  // run() returns once cancelled
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationBeforeStartReturnsWithoutProbing() async {
        let probe = ScriptedProbe([:])
        let checker = HealthChecker(
            backends: makeBackends(weights: [1]), table: HealthTable(count: 1), probe: probe,
            interval: .seconds(1), clock: MockClock(), onTransition: { _, _ in })
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await checker.run()
        }
        await task.value
        #expect(probe.calls("b0") == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func probesOfOneRoundRunConcurrently() async {
        let table = HealthTable(count: 3)
        let checker = HealthChecker(
            backends: makeBackends(weights: [1, 1, 1]), table: table, probe: BarrierProbe(parties: 3),
            interval: .seconds(1), clock: MockClock(), onTransition: { _, _ in })
        await checker.runRound()
        #expect((0..<3).allSatisfy(table.isHealthy))
    }

    @Test(.timeLimit(.minutes(1)))
    func worksWithTheContinuousClockType() async {
        // Compiles against a real clock; cancelled at once so nothing waits.
        let checker = HealthChecker(
            backends: [], table: HealthTable(count: 0), probe: ScriptedProbe([:]), interval: .seconds(5),
            clock: ContinuousClock(), onTransition: { _, _ in })
        let task = Task { await checker.run() }
        task.cancel()
        await task.value
    }
}
