import Testing

@testable import WProxyLoadBalancing

@Suite struct HashRingTests {
    private static let keys = (0..<10_000).map { "user-\($0)" }

    private func backends(_ count: Int) -> [Backend] {
        (0..<count).map { Backend(id: $0, name: "10.0.0.\($0 + 1):8080") }
    }

    /// Rebuilds `backends` with ids renumbered to their new positions.
    private func renumbered(_ backends: [Backend]) -> [Backend] {
        backends.enumerated().map { Backend(id: $0, name: $1.name, weight: $1.weight, backup: $1.backup) }
    }

    private func owners(_ selector: BackendSelector) -> [String] {
        Self.keys.map { selector.select(key: .key($0))!.name }
    }

    @Test(arguments: 5...10)
    func removingOneOfNMovesAboutOneNth(count: Int) {
        let all = backends(count)
        let before = owners(BackendSelector(backends: all, policy: .hash))
        for removed in [0, count / 2, count - 1] {
            let survivors = renumbered(all.filter { $0.id != removed })
            let after = owners(BackendSelector(backends: survivors, policy: .hash))
            var moved = 0
            for (old, new) in zip(before, after) where old != new {
                moved += 1
                // Only keys of the removed backend may move.
                #expect(old == all[removed].name)
            }
            let fraction = Double(moved) / Double(Self.keys.count)
            #expect(fraction >= 0.5 / Double(count) && fraction <= 1.6 / Double(count), "moved \(fraction)")
        }
    }

    @Test(arguments: 5...10)
    func addingOneMovesAboutOneOverNPlusOne(count: Int) {
        let before = owners(BackendSelector(backends: backends(count), policy: .hash))
        let after = owners(BackendSelector(backends: backends(count + 1), policy: .hash))
        let newcomer = backends(count + 1)[count].name
        var moved = 0
        for (old, new) in zip(before, after) where old != new {
            moved += 1
            #expect(new == newcomer)  // keys only ever move to the new backend
        }
        let fraction = Double(moved) / Double(Self.keys.count)
        let share = 1.0 / Double(count + 1)
        #expect(fraction >= 0.5 * share && fraction <= 1.6 * share, "moved \(fraction)")
    }

    @Test func rejectingABackendEqualsRemovingIt() {
        let all = backends(6)
        let full = BackendSelector(backends: all, policy: .hash)
        let without = BackendSelector(backends: renumbered(all.filter { $0.id != 2 }), policy: .hash)
        for key in Self.keys.prefix(2000) {
            let failedOver = full.select(key: .key(key)) { $0.id != 2 }
            #expect(failedOver?.name == without.select(key: .key(key))?.name)
        }
    }

    @Test func keysSpreadEvenlyAndStick() {
        let selector = BackendSelector(backends: backends(4), policy: .hash)
        let counts = tally(selector, picks: 1, key: .key("x"))
        #expect(counts.reduce(0, +) == 1)
        var spread = [0, 0, 0, 0]
        for key in Self.keys {
            let first = selector.select(key: .key(key))!
            #expect(selector.select(key: .key(key)) == first)
            spread[first.id] += 1
        }
        #expect(spread.allSatisfy { $0 > 1800 && $0 < 3200 }, "\(spread)")
    }

    @Test func ringHonoursWeights() {
        let weighted = [Backend(id: 0, name: "light", weight: 1), Backend(id: 1, name: "heavy", weight: 3)]
        let selector = BackendSelector(backends: weighted, policy: .hash)
        let heavy = Self.keys.filter { selector.select(key: .key($0))?.name == "heavy" }.count
        #expect(isClose(Double(heavy) / Double(Self.keys.count), to: 0.75, tolerance: 0.06))
    }

    @Test func ipHashIsStickyPerAddressAndSpreads() {
        let selector = BackendSelector(backends: backends(4), policy: .ipHash)
        var spread = [0, 0, 0, 0]
        for third in 0..<8 {
            for fourth in 0..<125 {
                let address: [UInt8] = [192, 168, UInt8(third), UInt8(fourth)]
                let first = selector.select(key: .clientAddress(address))!
                for _ in 0..<3 {
                    #expect(selector.select(key: .clientAddress(address)) == first)
                }
                spread[first.id] += 1
            }
        }
        #expect(spread.allSatisfy { $0 > 150 }, "\(spread)")
    }

    @Test func ipHashAcceptsIPv6() {
        let selector = BackendSelector(backends: backends(3), policy: .ipHash)
        let address: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        let first = selector.select(key: .clientAddress(address))
        #expect(first != nil)
        #expect(selector.select(key: .clientAddress(address)) == first)
    }

    @Test(arguments: [SelectionKey.none, .key(""), .clientAddress([])])
    func missingKeyFallsBackToRoundRobin(key: SelectionKey) {
        for policy in [BalancePolicy.hash, .ipHash] {
            let selector = BackendSelector(backends: makeBackends(weights: [1, 1, 1]), policy: policy)
            let names = (0..<6).compactMap { _ in selector.select(key: key)?.name }
            #expect(names == ["b0", "b1", "b2", "b0", "b1", "b2"])
        }
    }

    @Test func hashIsStableAcrossProcesses() {
        // Fixed values: a change here would move every key on every running deployment.
        #expect(StableHash.hash("") == StableHash.mix(0xcbf2_9ce4_8422_2325))
        #expect(StableHash.hash("a") == StableHash.mix(0xaf63_dc4c_8601_ec8c))
    }

    @Test func duplicateNamesBothOwnPoints() {
        let twice = [Backend(id: 0, name: "same"), Backend(id: 1, name: "same")]
        let selector = BackendSelector(backends: twice, policy: .hash)
        let counts = Self.keys.prefix(2000).reduce(into: [0, 0]) { counts, key in
            counts[selector.select(key: .key(key))!.id] += 1
        }
        #expect(counts.allSatisfy { $0 > 600 }, "\(counts)")
    }
}
