import Testing

@testable import WProxyLoadBalancing

/// Behaviour every policy shares: the `accept` filter, backups and edge cases.
@Suite struct SelectionFilterTests {
    private static let keys: [SelectionKey] = [.none, .key("session-1"), .clientAddress([10, 0, 0, 7])]

    @Test(arguments: BalancePolicy.allCases)
    func unhealthyBackendsAreSkipped(policy: BalancePolicy) {
        let health = HealthTable(count: 3)
        health.record(1, success: false)
        health.record(1, success: false)
        let selector = BackendSelector(backends: makeBackends(weights: [1, 5, 1]), policy: policy, randomSeed: 1)
        for key in Self.keys {
            let counts = tally(selector, picks: 300, key: key) { health.isHealthy($0.id) }
            #expect(counts[1] == 0)
            #expect(counts.reduce(0, +) == 300)
        }
    }

    @Test(arguments: BalancePolicy.allCases)
    func backupsOnlyWhenEveryPrimaryIsRejected(policy: BalancePolicy) {
        let selector = BackendSelector(
            backends: makeBackends(weights: [1, 2, 1, 1], backups: [2, 3]), policy: policy, randomSeed: 2)
        for key in Self.keys {
            let normal = tally(selector, picks: 200, key: key)
            #expect(normal[2] == 0 && normal[3] == 0)
            let primariesDown = tally(selector, picks: 200, key: key) { $0.backup }
            #expect(primariesDown[0] == 0 && primariesDown[1] == 0)
            #expect(primariesDown[2] + primariesDown[3] == 200)
            let oneLeft = tally(selector, picks: 50, key: key) { $0.id == 3 }
            #expect(oneLeft == [0, 0, 0, 50])
        }
    }

    @Test(arguments: BalancePolicy.allCases)
    func nilWhenNothingIsAcceptable(policy: BalancePolicy) {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 2], backups: [1]), policy: policy)
        for key in Self.keys {
            #expect(selector.select(key: key) { _ in false } == nil)
        }
    }

    @Test(arguments: BalancePolicy.allCases)
    func emptyBackendsGiveNil(policy: BalancePolicy) {
        let selector = BackendSelector(backends: [], policy: policy)
        for key in Self.keys {
            #expect(selector.select(key: key) == nil)
        }
    }

    @Test(arguments: BalancePolicy.allCases)
    func singleBackendIsAlwaysChosen(policy: BalancePolicy) {
        let selector = BackendSelector(backends: [Backend(id: 0, name: "only", weight: 7)], policy: policy)
        for key in Self.keys {
            #expect(tally(selector, picks: 20, key: key) == [20])
        }
    }

    @Test(arguments: BalancePolicy.allCases)
    func onlyBackupsConfigured(policy: BalancePolicy) {
        let selector = BackendSelector(backends: makeBackends(weights: [1, 1], backups: [0, 1]), policy: policy)
        #expect(tally(selector, picks: 10).reduce(0, +) == 10)
    }

    @Test(arguments: BalancePolicy.allCases)
    func hugeWeightsStayBoundedInMemory(policy: BalancePolicy) {
        let selector = BackendSelector(backends: makeBackends(weights: [1000, 1]), policy: policy, randomSeed: 4)
        let counts = tally(selector, picks: 2002, key: .key("k"))
        #expect(counts.reduce(0, +) == 2002)
        if policy == .roundRobin {
            #expect(counts == [2000, 2])
        }
    }

    @Test func cycleAndRingSizesAreCapped() {
        let modest = BackendTier(members: makeBackends(weights: [1000, 1]), buildRing: true)
        #expect(modest.sequence.order.count == 1001)
        #expect(modest.ring!.pointCount <= HashRing.maxPoints + 2 * HashRing.minPointsPerMember)

        let extreme = BackendTier(members: makeBackends(weights: [Int.max, 1_000_000, 1, 0, -5]), buildRing: true)
        #expect(extreme.sequence.order.count <= SmoothWeightedSequence.maxLength + 5)
        #expect(extreme.sequence.weights.allSatisfy { $0 >= 1 })
        #expect(extreme.ring!.pointCount <= HashRing.maxPoints + 5 * HashRing.minPointsPerMember)
        let selector = BackendSelector(backends: makeBackends(weights: [Int.max, 1]), policy: .roundRobin)
        #expect(tally(selector, picks: 10_000)[1] >= 1)
    }

    @Test func selectorKeepsGivenConnectionCounts() {
        let counts = ConnectionCounts(count: 2)
        let selector = BackendSelector(
            backends: makeBackends(weights: [1, 1]), policy: .leastConn, connectionCounts: counts)
        #expect(selector.connectionCounts === counts)
    }

    @Test func policyNamesMatchTheCommandLine() {
        #expect(
            BalancePolicy.allCases.map(\.rawValue) == ["round-robin", "least-conn", "random", "p2c", "ip-hash", "hash"])
        #expect(BalancePolicy(rawValue: "least-conn") == .leastConn)
    }
}
