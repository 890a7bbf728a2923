import Logging
import NIOCore
import NIOEmbedded
import Testing
import WProxyConfig
import WProxyProtocols

@testable import WProxySOCKS

/// The front handler on an `EmbeddedChannel`: every path that needs no real socket (replies, ACLs,
/// timeouts, bad input). Dialing, BIND and UDP run against real sockets in tests/integration/test_socks.py.
@Suite struct SOCKSFrontHandlerTests {
    private func channel(
        _ configure: (inout SOCKSOptions) throws -> Void = { _ in }, client: String = "127.0.0.1"
    ) throws -> EmbeddedChannel {
        var options = SOCKSOptions()
        try configure(&options)
        let listener = ListenerConfig(mode: .socks, listen: [ListenAddress(host: "127.0.0.1", port: 1080)])
        let proxy = SOCKSProxy(listener: listener, options: options, accessLog: nil, logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: client, port: 40000)
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 1080)
        try proxy.initializeConnection(channel)
        try channel.connect(to: channel.remoteAddress!).wait()
        return channel
    }

    private func send(_ channel: EmbeddedChannel, _ bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    private func received(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    private static let connectLoopback80: [UInt8] = [0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80]

    @Test func handshakeTimeoutClosesAHalfOpenHandshake() throws {
        let channel = try channel { $0.handshakeTimeout = .seconds(2) }
        try send(channel, [0x05])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
        #expect(try received(channel).isEmpty)
    }

    @Test func dripFedGreetingIsAnsweredOnce() throws {
        let channel = try channel()
        try send(channel, [0x05])
        try send(channel, [0x02])
        try send(channel, [0x02])
        #expect(try received(channel).isEmpty)
        try send(channel, [0x00])
        #expect(try received(channel) == [0x05, 0x00])
        #expect(channel.isActive)
    }

    @Test func wrongPasswordGets0101AndAClose() throws {
        let channel = try channel { $0.auth = [try Credential(parsing: "alice:secret")] }
        try send(channel, [0x05, 0x01, 0x02])
        #expect(try received(channel) == [0x05, 0x02])
        try send(channel, [0x01, 5] + Array("alice".utf8) + [5] + Array("wrong".utf8))
        #expect(try received(channel) == [0x01, 0x01])
        #expect(!channel.isActive)
    }

    @Test func rightPasswordThenDeniedDestination() throws {
        let channel = try channel {
            $0.auth = [try Credential(parsing: "alice:secret")]
            $0.denyDest = [try DestinationRule(parsing: "127.0.0.0/8")]
        }
        try send(channel, [0x05, 0x01, 0x02, 0x01, 5] + Array("alice".utf8) + [6] + Array("secret".utf8))
        #expect(try received(channel) == [0x05, 0x02, 0x01, 0x00])
        try send(channel, Self.connectLoopback80)
        #expect(try received(channel) == [0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    @Test func deniedDomainByNameDripFed() throws {
        let channel = try channel { $0.denyDest = [try DestinationRule(parsing: "*.example.test")] }
        try send(channel, [0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 14] + Array("a.EXAMPLE".utf8))
        #expect(try received(channel) == [0x05, 0x00])  // the request is parsed only once it is whole
        try send(channel, Array(".test".utf8) + [0])
        #expect(try received(channel).isEmpty)
        try send(channel, [80])
        #expect(try received(channel) == [0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    @Test func clientOutsideAllowGetsMethodNegotiationThen02() throws {
        let channel = try channel({ $0.allow = [try CIDR(parsing: "10.0.0.0/8")] }, client: "192.0.2.1")
        try send(channel, [0x05, 0x01, 0x00])
        #expect(try received(channel) == [0x05, 0x00])
        try send(channel, Self.connectLoopback80)
        #expect(try received(channel) == [0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    @Test func socks4OutsideAllowGets5B() throws {
        let channel = try channel({ $0.allow = [try CIDR(parsing: "10.0.0.0/8")] }, client: "192.0.2.1")
        try send(channel, [0x04, 0x01, 0, 80, 127, 0, 0, 1, 0])
        #expect(try received(channel) == [0x00, 0x5B, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    @Test func socks4IsRefusedWhenAuthIsSet() throws {
        let channel = try channel { $0.auth = [try Credential(parsing: "alice:secret")] }
        try send(channel, [0x04, 0x01, 0, 80, 127, 0, 0, 1] + Array("alice".utf8) + [0])
        #expect(try received(channel) == [0x00, 0x5B, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    static let badRequests: [([UInt8], UInt8)] = [
        ([0x05, 0x01, 0x00, 0x05, 0x09, 0x00, 0x01, 127, 0, 0, 1, 0, 80], 0x07),  // unknown command
        ([0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x07, 127, 0, 0, 1, 0, 80], 0x08),  // unknown address type
        ([0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 0x00, 0, 80], 0x01),  // empty domain
    ]

    @Test(arguments: badRequests)
    func badRequestsGetTheirReplyCode(bytes: [UInt8], code: UInt8) throws {
        let channel = try channel()
        try send(channel, bytes)
        #expect(try received(channel) == [0x05, 0x00, 0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    static let unknownVersions: [[UInt8]] = [[0x47, 0x45, 0x54, 0x20], [0x00], [0xFF, 0xFF], [0x06, 0x01, 0x00]]

    @Test(arguments: unknownVersions)
    func unknownVersionIsClosedWithoutAReply(bytes: [UInt8]) throws {
        let channel = try channel()
        try send(channel, bytes)
        #expect(try received(channel).isEmpty)
        #expect(!channel.isActive)
    }

    @Test func oversizedHandshakeIsClosed() throws {
        let channel = try channel()
        // A SOCKS4 USERID that never ends: refused once it passes the field limit.
        try send(channel, [0x04, 0x01, 0, 80, 127, 0, 0, 1] + Array(repeating: 0x41, count: 300))
        #expect(try received(channel) == [0x00, 0x5B, 0, 0, 0, 0, 0, 0])
        #expect(!channel.isActive)
    }

    @Test func eofDuringTheHandshakeCloses() throws {
        let channel = try channel()
        try send(channel, [0x05, 0x01])
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }
}
