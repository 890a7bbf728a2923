import NIOCore
import NIOEmbedded
import Testing

@testable import WProxyCore

/// Sits at the head of a pipeline and records the outbound operations the relay issues.
private final class OutboundRecorder: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    var closeModes: [CloseMode] = []

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closeModes.append(mode)
        if mode == .all {
            context.close(mode: mode, promise: promise)
        } else {
            promise?.succeed(())  // EmbeddedChannel has no half-close; recording it is enough
        }
    }
}

private struct Tunnel {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let upstream: EmbeddedChannel
    let clientRecorder = OutboundRecorder()
    let upstreamRecorder = OutboundRecorder()
    var results: [RelayResult] { box.results }
    let box = ResultBox()

    final class ResultBox {
        var results: [RelayResult] = []
    }

    init(initial: [ByteBuffer] = []) throws {
        client = EmbeddedChannel(loop: loop)
        upstream = EmbeddedChannel(loop: loop)
        try client.pipeline.syncOperations.addHandler(clientRecorder)
        try upstream.pipeline.syncOperations.addHandler(upstreamRecorder)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try upstream.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let box = self.box
        try Relay.join(client: client, upstream: upstream, initialUpstreamData: initial, idleTimeout: .seconds(30)) {
            box.results.append($0)
        }
    }
}

@Suite struct RelayTests {
    @Test func forwardsBothWaysAndCountsBytes() throws {
        let tunnel = try Tunnel()
        try tunnel.client.writeInbound(ByteBuffer(string: "hello"))
        #expect(try tunnel.upstream.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "hello"))
        try tunnel.upstream.writeInbound(ByteBuffer(string: "world!"))
        #expect(try tunnel.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "world!"))
        _ = try? tunnel.client.close().wait()
        tunnel.loop.run()
        #expect(tunnel.results.count == 1)
        #expect(tunnel.results.first?.bytesUp == 5)
        #expect(tunnel.results.first?.bytesDown == 6)
    }

    @Test func initialDataGoesUpstreamFirst() throws {
        let tunnel = try Tunnel(initial: [ByteBuffer(string: "PROXY "), ByteBuffer(string: "peeked")])
        #expect(try tunnel.upstream.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "PROXY "))
        #expect(try tunnel.upstream.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "peeked"))
    }

    @Test func readsOnlyWhilePartnerIsWritable() throws {
        let tunnel = try Tunnel()
        let before = tunnel.clientRecorder.reads
        tunnel.client.read()
        #expect(tunnel.clientRecorder.reads == before + 1)

        tunnel.upstream.isWritable = false
        tunnel.upstream.pipeline.fireChannelWritabilityChanged()
        tunnel.client.read()
        #expect(tunnel.clientRecorder.reads == before + 1, "no read while the upstream cannot take data")

        tunnel.upstream.isWritable = true
        tunnel.upstream.pipeline.fireChannelWritabilityChanged()
        #expect(tunnel.clientRecorder.reads == before + 2, "the held-back read is issued once writable")
    }

    @Test func backpressureWorksUpstreamToClientToo() throws {
        let tunnel = try Tunnel()
        let before = tunnel.upstreamRecorder.reads
        tunnel.client.isWritable = false
        tunnel.client.pipeline.fireChannelWritabilityChanged()
        tunnel.upstream.read()
        #expect(tunnel.upstreamRecorder.reads == before)
        tunnel.client.isWritable = true
        tunnel.client.pipeline.fireChannelWritabilityChanged()
        #expect(tunnel.upstreamRecorder.reads == before + 1)
    }

    @Test func clientEOFHalfClosesUpstreamAndReplyStillFlows() throws {
        let tunnel = try Tunnel()
        try tunnel.client.writeInbound(ByteBuffer(string: "request"))
        tunnel.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        tunnel.loop.run()
        #expect(tunnel.upstreamRecorder.closeModes == [.output])
        #expect(try tunnel.upstream.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "request"))
        // The other direction keeps working after the half-close.
        try tunnel.upstream.writeInbound(ByteBuffer(string: "reply"))
        #expect(try tunnel.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "reply"))
        #expect(tunnel.clientRecorder.closeModes.isEmpty)
    }

    @Test func upstreamEOFHalfClosesClient() throws {
        let tunnel = try Tunnel()
        tunnel.upstream.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        tunnel.loop.run()
        #expect(tunnel.clientRecorder.closeModes == [.output])
        #expect(tunnel.upstreamRecorder.closeModes.isEmpty)
    }

    @Test func closePropagatesAndReportsOnce() throws {
        let tunnel = try Tunnel()
        try tunnel.upstream.writeInbound(ByteBuffer(string: "last words"))
        _ = try? tunnel.upstream.close().wait()
        tunnel.loop.run()
        #expect(try tunnel.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "last words"))
        #expect(!tunnel.client.isActive)
        #expect(tunnel.results.count == 1)
        #expect(tunnel.results.first?.end == .closed)
    }

    @Test func errorClosesBothAndIsReported() throws {
        let tunnel = try Tunnel()
        tunnel.client.pipeline.fireErrorCaught(ChannelError.ioOnClosedChannel)
        tunnel.loop.run()
        #expect(!tunnel.client.isActive)
        #expect(!tunnel.upstream.isActive)
        #expect(tunnel.results.first?.end == .error)
    }

    @Test func idleTimeoutClosesTheTunnel() throws {
        let tunnel = try Tunnel()
        tunnel.loop.advanceTime(by: .seconds(20))
        try tunnel.client.writeInbound(ByteBuffer(string: "keepalive"))
        tunnel.loop.advanceTime(by: .seconds(20))
        #expect(tunnel.client.isActive, "activity 20s ago keeps the tunnel open")
        tunnel.loop.advanceTime(by: .seconds(31))
        #expect(!tunnel.client.isActive)
        #expect(!tunnel.upstream.isActive)
        #expect(tunnel.results.first?.end == .idleTimeout)
    }
}
