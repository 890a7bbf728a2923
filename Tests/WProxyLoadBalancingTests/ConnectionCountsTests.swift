import Testing

@testable import WProxyLoadBalancing

@Suite struct ConnectionCountsTests {
    @Test func countsOpenAndClose() {
        let counts = ConnectionCounts(count: 2)
        counts.opened(0)
        counts.opened(0)
        counts.opened(1)
        counts.closed(0)
        #expect(counts.active(0) == 1)
        #expect(counts.active(1) == 1)
        #expect(counts.count == 2)
    }

    @Test func unknownIdsAreIgnored() {
        let counts = ConnectionCounts(count: 1)
        counts.opened(3)
        counts.closed(-1)
        #expect(counts.active(3) == 0)
        #expect(counts.active(0) == 0)
    }

    @Test func concurrentUpdatesAreExact() async {
        let counts = ConnectionCounts(count: 2)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        counts.opened(0)
                        counts.opened(1)
                        counts.closed(1)
                    }
                }
            }
        }
        #expect(counts.active(0) == 8000)
        #expect(counts.active(1) == 0)
    }
}
