import NIOCore
import NIOEmbedded
import Testing
import WProxyConfig

@testable import WProxyDialer

/// Collects what reaches the caller's side of the pipeline.
private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received: [String] = []
    var sawInputClosed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.append(String(decoding: unwrapInboundIn(data).readableBytesView, as: UTF8.self))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event { sawInputClosed = true }
    }
}

@Suite struct HopHandshakeHandlerTests {
    private func makeHandler(channel: EmbeddedChannel, isLast: Bool = true) throws
        -> (HopHandshakeHandler<HTTPConnectHopNegotiation>, EventLoopFuture<Void>)
    {
        let done = channel.eventLoop.makePromise(of: Void.self)
        let handler = HopHandshakeHandler(
            negotiation: HTTPConnectHopNegotiation(hop: try ProxyURL(parsing: "http://h:1"), host: "d", port: 80),
            isLastHop: isLast, done: done, failure: { DialError(kind: .other, target: "d:80", detail: $0) })
        return (handler, done.futureResult)
    }

    @Test func removesItselfAfterAPlainReply() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (handler, done) = try makeHandler(channel: channel)
        try channel.pipeline.syncOperations.addHandler(handler)
        let request = try channel.readOutbound(as: ByteBuffer.self)
        #expect(request.map { String(decoding: $0.readableBytesView, as: UTF8.self) }?.hasPrefix("CONNECT d:80") == true)
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n"))
        try done.wait()
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.context(handlerType: HopHandshakeHandler<HTTPConnectHopNegotiation>.self) }
        _ = try channel.finish()
    }

    @Test func replaysBytesAndEOFThatCameWithTheReplyOnTheCallersFirstRead() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (handler, done) = try makeHandler(channel: channel)
        try channel.pipeline.syncOperations.addHandler(handler)
        _ = try channel.readOutbound(as: ByteBuffer.self)
        // One read burst: the reply, the destination's banner, and its EOF.
        channel.pipeline.fireChannelRead(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nbanner"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "+more"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.pipeline.fireChannelReadComplete()
        try done.wait()
        // The caller installs its handler later; nothing reached it yet.
        let collector = Collector()
        try channel.pipeline.syncOperations.addHandler(collector)
        #expect(collector.received.isEmpty)
        channel.read()
        #expect(collector.received == ["banner+more"])
        #expect(collector.sawInputClosed)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.context(handlerType: HopHandshakeHandler<HTTPConnectHopNegotiation>.self) }
        _ = try? channel.finish()
    }

    @Test func aRefusalFailsAndCloses() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (handler, done) = try makeHandler(channel: channel)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"))
        #expect(throws: DialError.self) { try done.wait() }
        do {
            try done.wait()
        } catch let error as DialError {
            #expect(error.kind == .proxyAuthRequired)
        }
        #expect(!channel.isActive)
    }

    @Test func theHopClosingMidHandshakeFails() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (handler, done) = try makeHandler(channel: channel)
        try channel.pipeline.syncOperations.addHandler(handler)
        channel.pipeline.fireChannelRead(ByteBuffer(string: "HTTP/1.1 2"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(throws: DialError.self) { try done.wait() }
    }

    @Test func anIntermediateHopMustNotSendExtraBytes() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let (handler, done) = try makeHandler(channel: channel, isLast: false)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nearly"))
        #expect(throws: DialError.self) { try done.wait() }
    }
}
