import Testing

@testable import WProxyLoadBalancing

@Suite struct RoundRobinTests {
    @Test func interleavesLikeNginx() {
        let backends = [
            Backend(id: 0, name: "a", weight: 5), Backend(id: 1, name: "b"), Backend(id: 2, name: "c"),
        ]
        let selector = BackendSelector(backends: backends, policy: .roundRobin)
        let picks = pickNames(selector, picks: 21).joined()
        #expect(picks == "aabacaa" + "aabacaa" + "aabacaa")
    }

    @Test func weightsOneToThreeAreExactOverWholeCycles() {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 3]), policy: .roundRobin)
        #expect(tally(selector, picks: 4000) == [1000, 3000])
    }

    @Test func equalWeightsRotate() {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 1, 1]), policy: .roundRobin)
        #expect(pickNames(selector, picks: 6) == ["b0", "b1", "b2", "b0", "b1", "b2"])
    }

    @Test func weightsAreReducedByTheirGreatestCommonDivisor() {
        let sequence = SmoothWeightedSequence(weights: [100, 300])
        #expect(sequence.weights == [1, 3])
        #expect(sequence.order == [1, 0, 1, 1])
    }

    @Test func concurrentPicksStayExactOverWholeCycles() async {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 3]), policy: .roundRobin)
        let counts = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask { tally(selector, picks: 1000) }
            }
            var total = [0, 0]
            for await partial in group {
                total = zip(total, partial).map(+)
            }
            return total
        }
        // Every pick claims its own position in the cycle, whatever the interleaving.
        #expect(counts == [2000, 6000])
    }

    @Test func rejectedMemberTurnsAreSharedByWeight() {
        let backends = [
            Backend(id: 0, name: "a", weight: 5), Backend(id: 1, name: "b"), Backend(id: 2, name: "c"),
        ]
        let selector = BackendSelector(backends: backends, policy: .roundRobin)
        let notA: (Backend) -> Bool = { $0.name != "a" }
        #expect(pickNames(selector, picks: 6, accept: notA) == ["b", "c", "b", "c", "b", "c"])

        let weighted = BackendSelector(backends: makeBackends(weights: [4, 1, 3]), policy: .roundRobin)
        let counts = tally(weighted, picks: 4000) { $0.id != 0 }
        #expect(counts[0] == 0)
        #expect(isClose(Double(counts[2]) / 4000, to: 0.75, tolerance: 0.02))
    }

    @Test func acceptIsAskedAtMostOncePerBackend() {
        let selector = BackendSelector(backends: makeBackends(weights: [50, 30, 20]), policy: .roundRobin)
        var asked: [Int] = []
        let chosen = selector.select(key: .none) { backend in
            asked.append(backend.id)
            return false
        }
        #expect(chosen == nil)
        #expect(asked.sorted() == [0, 1, 2])
    }
}
