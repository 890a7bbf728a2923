import Testing

@testable import WProxyLoadBalancing

@Suite struct HealthTableTests {
    @Test func everyBackendStartsHealthy() {
        let table = HealthTable(count: 3)
        #expect((0..<3).allSatisfy(table.isHealthy))
    }

    @Test func twoFailuresInARowTakeABackendDownOnce() {
        let table = HealthTable(count: 2)
        #expect(table.record(0, success: false) == nil)
        #expect(table.isHealthy(0))
        #expect(table.record(0, success: false) == .becameUnhealthy)
        #expect(!table.isHealthy(0))
        #expect(table.record(0, success: false) == nil)
        #expect(table.isHealthy(1))
    }

    @Test func onePassBringsItBack() {
        let table = HealthTable(count: 1)
        table.record(0, success: false)
        table.record(0, success: false)
        #expect(table.record(0, success: true) == .becameHealthy)
        #expect(table.isHealthy(0))
        #expect(table.record(0, success: true) == nil)
    }

    @Test func aPassBetweenFailuresResetsTheStreak() {
        let table = HealthTable(count: 1)
        table.record(0, success: false)
        table.record(0, success: true)
        #expect(table.record(0, success: false) == nil)
        #expect(table.isHealthy(0))
    }

    @Test func passiveFailuresCountLikeProbeFailures() {
        let table = HealthTable(count: 1)
        table.record(0, success: false)  // active probe failed
        #expect(table.record(0, success: false) == .becameUnhealthy)  // connection refused seen by the proxy
    }

    @Test func customRiseAndFall() {
        let table = HealthTable(count: 1, rise: 2, fall: 3)
        #expect(table.record(0, success: false) == nil)
        #expect(table.record(0, success: false) == nil)
        #expect(table.record(0, success: false) == .becameUnhealthy)
        #expect(table.record(0, success: true) == nil)
        #expect(table.record(0, success: false) == nil)  // the rising streak starts over
        #expect(table.record(0, success: true) == nil)
        #expect(!table.isHealthy(0))
        #expect(table.record(0, success: true) == .becameHealthy)
    }

    @Test func nonPositiveThresholdsMeanOne() {
        let table = HealthTable(count: 1, rise: 0, fall: -1)
        #expect(table.record(0, success: false) == .becameUnhealthy)
        #expect(table.record(0, success: true) == .becameHealthy)
    }

    @Test func unknownIdsAreUnhealthyAndIgnored() {
        let table = HealthTable(count: 1)
        #expect(!table.isHealthy(1))
        #expect(!table.isHealthy(-1))
        #expect(table.record(5, success: false) == nil)
    }

    @Test func concurrentFailuresReportTheTransitionExactlyOnce() async {
        let table = HealthTable(count: 1, rise: 1, fall: 2)
        let transitions = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<1000).reduce(0) { found, _ in found + (table.record(0, success: false) == nil ? 0 : 1) }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(transitions == 1)
        #expect(!table.isHealthy(0))
    }
}
