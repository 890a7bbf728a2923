import NIOHTTP1
import Testing
import WProxyConfig
import WProxyHTTP
import WProxyLoadBalancing
@testable import WProxyReverse

@Suite struct ReverseUpstreamGroupTests {
    private func group(_ specs: [String], _ policy: BalancePolicyName) throws -> ReverseUpstreamGroup {
        ReverseUpstreamGroup(upstreams: try specs.map { try HTTPUpstream(parsing: $0) }, policy: policy)
    }

    private func picks(_ group: ReverseUpstreamGroup, _ count: Int, key: (Int) -> SelectionKey = { _ in .none }) -> [Int] {
        (0..<count).compactMap { group.pick(key: key($0), tried: TriedUpstreams())?.id }
    }

    private func takeOut(_ group: ReverseUpstreamGroup, _ id: Int) {
        group.health.record(id, success: false)
        group.health.record(id, success: false)
    }

    @Test(arguments: BalancePolicyName.allCases)
    func everyPolicySkipsAnUnhealthyUpstreamAndTakesItBack(policy: BalancePolicyName) throws {
        let group = try group(["http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"], policy)
        let key: (Int) -> SelectionKey = { .key("user\($0)") }
        #expect(Set(picks(group, 60, key: key)).count >= 2)
        takeOut(group, 1)
        #expect(!group.health.isHealthy(1))
        #expect(!picks(group, 60, key: key).contains(1))
        group.health.record(1, success: true)  // one pass brings it back
        #expect(picks(group, 300, key: key).contains(1))
    }

    @Test func oneFailureIsNotEnough() throws {
        let group = try group(["http://a:1", "http://b:1"], .roundRobin)
        group.health.record(0, success: false)
        #expect(group.health.isHealthy(0))
        group.health.record(0, success: true)
        group.health.record(0, success: false)
        #expect(group.health.isHealthy(0))
    }

    @Test func roundRobinHonoursWeights() throws {
        let group = try group(["http://a:1,weight=3", "http://b:1"], .roundRobin)
        let got = picks(group, 8)
        #expect(got.filter { $0 == 0 }.count == 6 && got.filter { $0 == 1 }.count == 2)
    }

    @Test func backupOnlyWhenEveryPrimaryIsOut() throws {
        let group = try group(["http://a:1", "http://b:1", "http://c:1,backup"], .roundRobin)
        #expect(!picks(group, 10).contains(2))
        takeOut(group, 0)
        #expect(!picks(group, 10).contains(2))
        takeOut(group, 1)
        #expect(picks(group, 5) == [2, 2, 2, 2, 2])
        takeOut(group, 2)
        #expect(group.pick(key: .none, tried: TriedUpstreams()) == nil)  // all down: the engine answers 503
    }

    @Test func leastConnPrefersTheIdleUpstream() throws {
        let group = try group(["http://a:1", "http://b:1"], .leastConn)
        group.counts.opened(0)
        #expect(picks(group, 5) == [1, 1, 1, 1, 1])
        group.counts.opened(1)
        group.counts.opened(1)
        #expect(picks(group, 3) == [0, 0, 0])
        takeOut(group, 0)
        #expect(picks(group, 3) == [1, 1, 1])
    }

    @Test func hashIsStickyAndMovesOnlyTheKeysOfARemovedUpstream() throws {
        let group = try group(["http://a:1", "http://b:1", "http://c:1", "http://d:1"], .hash)
        let before = (0..<400).map { group.pick(key: .key("k\($0)"), tried: TriedUpstreams())!.id }
        #expect(before == (0..<400).map { group.pick(key: .key("k\($0)"), tried: TriedUpstreams())!.id })
        takeOut(group, 2)
        let after = (0..<400).map { group.pick(key: .key("k\($0)"), tried: TriedUpstreams())!.id }
        for (old, new) in zip(before, after) where old != 2 { #expect(old == new) }
        #expect(!after.contains(2))
    }

    @Test func triedUpstreamsAreSkippedAndASingleOneIsRetried() throws {
        let group = try group(["http://a:1", "http://b:1"], .roundRobin)
        var tried = TriedUpstreams()
        tried.insert(0)
        #expect(group.pick(key: .none, tried: tried)?.id == 1)
        tried.insert(1)
        #expect(group.pick(key: .none, tried: tried) == nil)
        let single = try self.group(["http://a:1"], .roundRobin)
        var once = TriedUpstreams()
        once.insert(0)
        #expect(single.pick(key: .none, tried: once)?.id == 0)
    }

    @Test func hashKeyExtraction() {
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/p/q?a=1&user=bob&z",
            headers: ["X-User": "alice", "Cookie": "theme=dark; sid=abc123"])
        #expect(HashKeyExtractor.key(.header("x-user"), head: head) == .key("alice"))
        #expect(HashKeyExtractor.key(.cookie("sid"), head: head) == .key("abc123"))
        #expect(HashKeyExtractor.key(.query("user"), head: head) == .key("bob"))
        #expect(HashKeyExtractor.key(.path, head: head) == .key("/p/q"))
        #expect(HashKeyExtractor.key(.header("x-missing"), head: head) == .none)
        #expect(HashKeyExtractor.key(.cookie("nope"), head: head) == .none)
        #expect(HashKeyExtractor.key(.query("z"), head: head) == .none)
    }
}
