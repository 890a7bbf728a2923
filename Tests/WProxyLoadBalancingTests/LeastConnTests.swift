import Testing

@testable import WProxyLoadBalancing

@Suite struct LeastConnTests {
    private func selector(weights: [Int], active: [Int]) -> BackendSelector {
        let counts = ConnectionCounts(count: weights.count)
        for (id, n) in active.enumerated() {
            for _ in 0..<n { counts.opened(id) }
        }
        return BackendSelector(backends: makeBackends(weights: weights), policy: .leastConn, connectionCounts: counts)
    }

    @Test func picksTheLeastLoaded() {
        let selector = selector(weights: [1, 1, 1], active: [3, 1, 2])
        #expect(selector.select()?.id == 1)
        #expect(selector.select()?.id == 1)
    }

    @Test func comparesLoadPerUnitOfWeight() {
        // 3 connections at weight 3 (1 per unit) beat 2 at weight 1.
        #expect(selector(weights: [3, 1], active: [3, 2]).select()?.id == 0)
        // 7 at weight 3 (2.33 per unit) lose to 2 at weight 1.
        #expect(selector(weights: [3, 1], active: [7, 2]).select()?.id == 1)
    }

    @Test func skipsRejectedBackendsEvenWhenIdle() {
        let selector = selector(weights: [1, 1, 1], active: [0, 5, 4])
        #expect(selector.select(key: .none) { $0.id != 0 }?.id == 2)
    }

    @Test func sustainedLoadFollowsTheWeights() {
        let selector = selector(weights: [1, 3], active: [0, 0])
        var picks = [0, 0]
        for _ in 0..<400 {
            let backend = selector.select()!
            selector.connectionCounts.opened(backend.id)
            picks[backend.id] += 1
        }
        #expect(abs(picks[0] - 100) <= 1)
        #expect(selector.connectionCounts.active(1) == picks[1])
    }

    @Test func idlePoolIsSpreadByWeight() {
        let selector = selector(weights: [1, 3], active: [0, 0])
        #expect(tally(selector, picks: 4000) == [1000, 3000])
    }

    @Test func equalLoadRotates() {
        let selector = selector(weights: [1, 1, 1], active: [2, 2, 2])
        #expect(tally(selector, picks: 300) == [100, 100, 100])
    }

    @Test func closedConnectionsFreeCapacity() {
        let selector = selector(weights: [1, 1], active: [2, 1])
        #expect(selector.select()?.id == 1)
        selector.connectionCounts.closed(0)
        selector.connectionCounts.closed(0)
        #expect(selector.select()?.id == 0)
    }
}
