import Testing

@testable import WProxyLoadBalancing

@Suite struct RandomAndP2CTests {
    @Test(arguments: [BalancePolicy.random, .p2c])
    func idleDistributionFollowsWeights(policy: BalancePolicy) {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 3]), policy: policy, randomSeed: 42)
        let counts = tally(selector, picks: 40_000)
        #expect(isClose(Double(counts[0]) / 40_000, to: 0.25, tolerance: 0.015))
    }

    @Test func randomHonoursWeightsAmongAcceptedOnly() {
        let selector = BackendSelector(backends: makeBackends(weights: [3, 1, 2]), policy: .random, randomSeed: 7)
        let counts = tally(selector, picks: 30_000) { $0.id != 0 }
        #expect(counts[0] == 0)
        #expect(isClose(Double(counts[2]) / 30_000, to: 2.0 / 3.0, tolerance: 0.015))
    }

    @Test func randomIsUnbiasedWithManyBackends() {
        let selector = BackendSelector(
            backends: makeBackends(weights: Array(repeating: 1, count: 100)), policy: .random, randomSeed: 1)
        let counts = tally(selector, picks: 100_000)
        #expect(counts.allSatisfy { (700...1300).contains($0) })
    }

    @Test func p2cNeverPicksTheMostLoadedOfThree() {
        let counts = ConnectionCounts(count: 3)
        for _ in 0..<100 { counts.opened(0) }
        let selector = BackendSelector(
            backends: makeBackends(weights: [1, 1, 1]), policy: .p2c, connectionCounts: counts, randomSeed: 3)
        let picks = tally(selector, picks: 3000)
        #expect(picks[0] == 0)
        #expect(picks[1] > 1200 && picks[2] > 1200)
    }

    @Test func p2cWithTwoCandidatesAlwaysTakesTheLighter() {
        let counts = ConnectionCounts(count: 3)
        counts.opened(1)
        let selector = BackendSelector(
            backends: makeBackends(weights: [1, 1, 1]), policy: .p2c, connectionCounts: counts, randomSeed: 5)
        let picks = tally(selector, picks: 500) { $0.id != 2 }
        #expect(picks == [500, 0, 0])
    }

    @Test func p2cSustainedLoadFollowsWeights() {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 3, 4]), policy: .p2c, randomSeed: 11)
        var picks = [0, 0, 0]
        for _ in 0..<8000 {
            let backend = selector.select()!
            selector.connectionCounts.opened(backend.id)
            picks[backend.id] += 1
        }
        #expect(isClose(Double(picks[0]) / 8000, to: 1.0 / 8.0, tolerance: 0.02))
        #expect(isClose(Double(picks[2]) / 8000, to: 4.0 / 8.0, tolerance: 0.02))
    }

    @Test func p2cFallsBackToTheOnlyAcceptedBackend() {
        let selector = BackendSelector(backends: makeBackends(weights: [5, 1]), policy: .p2c, randomSeed: 9)
        #expect(tally(selector, picks: 100) { $0.id == 1 } == [0, 100])
    }

    @Test func sameSeedGivesSameSequence() {
        let first = BackendSelector(backends: makeBackends(weights: [1, 2, 3]), policy: .random, randomSeed: 99)
        let second = BackendSelector(backends: makeBackends(weights: [1, 2, 3]), policy: .random, randomSeed: 99)
        #expect(pickNames(first, picks: 50) == pickNames(second, picks: 50))
    }
}
