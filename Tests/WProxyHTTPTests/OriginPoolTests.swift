import NIOCore
import NIOEmbedded
import Testing
import WProxyHTTP

@Suite struct OriginPoolTests {
    private func activeChannel(_ loop: EmbeddedEventLoop) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test func reusesTheMostRecentConnectionPerKeyAndBoundsIdleOnes() throws {
        let loop = EmbeddedEventLoop()
        let pool = OriginPool(eventLoop: loop, maxIdlePerKey: 2, idleTimeout: .seconds(30))
        let (a, b, c) = (try activeChannel(loop), try activeChannel(loop), try activeChannel(loop))
        #expect(pool.put(a, key: "h:80"))
        #expect(pool.put(b, key: "h:80"))
        #expect(!pool.put(c, key: "h:80"))  // full
        #expect(pool.take("other:80") == nil)
        #expect(pool.take("h:80") === b)
        #expect(pool.take("h:80") === a)
        #expect(pool.take("h:80") == nil)
        #expect(pool.count == 0)
    }

    @Test func skipsClosedConnectionsAndForgetsRemovedOnes() throws {
        let loop = EmbeddedEventLoop()
        let pool = OriginPool(eventLoop: loop, maxIdlePerKey: 4, idleTimeout: .seconds(30))
        let (a, b) = (try activeChannel(loop), try activeChannel(loop))
        #expect(pool.put(a, key: "k"))
        #expect(pool.put(b, key: "k"))
        _ = try b.finish()
        #expect(pool.take("k") === a)
        #expect(pool.put(a, key: "k"))
        pool.remove(a, key: "k")
        #expect(pool.count == 0)
        #expect(pool.take("k") == nil)
    }

    @Test func closesConnectionsIdleForTheTimeout() throws {
        let loop = EmbeddedEventLoop()
        let pool = OriginPool(eventLoop: loop, maxIdlePerKey: 4, idleTimeout: .seconds(30))
        let a = try activeChannel(loop)
        #expect(pool.put(a, key: "k"))
        loop.advanceTime(by: .seconds(20))
        let b = try activeChannel(loop)
        #expect(pool.put(b, key: "k"))
        loop.advanceTime(by: .seconds(11))
        #expect(!a.isActive)
        #expect(b.isActive)
        #expect(pool.count == 1)
        loop.advanceTime(by: .seconds(30))
        #expect(!b.isActive)
        #expect(pool.count == 0)
    }
}
