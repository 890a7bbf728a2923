import Logging
import NIOCore
import NIOEmbedded
import Testing
import WProxyConfig
import WProxyCore
import WProxyProtocols

@testable import WProxySOCKS

/// The SOCKS handshake the tunnel engine runs (`SOCKSEngineSession`): what it answers by itself,
/// and that whatever it hands to NIO is finished by `SOCKSFrontHandler` as if that had read the
/// bytes itself. The engine's sockets are exercised in tests/integration/test_engine.py.
@Suite struct SOCKSEngineSessionTests {
    private func proxy(_ configure: (inout SOCKSOptions) throws -> Void = { _ in }) throws -> SOCKSProxy {
        var options = SOCKSOptions()
        try configure(&options)
        let listener = ListenerConfig(mode: .socks, listen: [ListenAddress(host: "127.0.0.1", port: 1080)])
        return SOCKSProxy(listener: listener, options: options, accessLog: nil, logger: Logger(label: "test"))
    }

    private func session(_ proxy: SOCKSProxy, client: String = "127.0.0.1") throws -> SOCKSEngineSession {
        SOCKSEngineSession(proxy: proxy, client: try SocketAddress(ipAddress: client, port: 40000))
    }

    private func feed(_ session: SOCKSEngineSession, _ bytes: [UInt8]) -> EngineSessionStep {
        bytes.withUnsafeBytes { session.received($0) }
    }

    /// Carries a `.moveToNIO` step out on an embedded channel; returns what the handler wrote.
    private func resume(_ step: EngineSessionStep) throws -> (written: [UInt8], channel: EmbeddedChannel) {
        guard case .moveToNIO(let reply, let resume) = step else {
            Issue.record("expected moveToNIO, got \(step)")
            return ([], EmbeddedChannel())
        }
        let channel = EmbeddedChannel()
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 1080)
        try channel.connect(to: channel.remoteAddress!).wait()
        try resume(channel, TunnelHandoff(tracker: ConnectionTracker(limit: 10)))
        var written = reply
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
        return (written, channel)
    }

    @Test func greetingInPiecesIsAnsweredOnceAllOfItArrived() throws {
        let session = try session(try proxy())
        guard case .wait(let first) = feed(session, [0x05]) else { Issue.record("not waiting"); return }
        #expect(first.isEmpty)
        guard case .wait(let second) = feed(session, [0x01, 0x00]) else { Issue.record("not waiting"); return }
        #expect(second == [0x05, 0x00])
    }

    @Test func garbageClosesWithoutAReply() throws {
        let session = try session(try proxy())
        guard case .close(let reply) = feed(session, Array("GET / HTTP/1.1\r\n".utf8)) else {
            Issue.record("not closed")
            return
        }
        #expect(reply.isEmpty)
    }

    @Test func rightCredentialsAreCheckedInTheEngine() throws {
        let session = try session(try proxy { $0.auth = [try Credential(parsing: "alice:secret")] })
        guard case .wait(let method) = feed(session, [0x05, 0x01, 0x02]) else { Issue.record("not waiting"); return }
        #expect(method == [0x05, 0x02])
        let credentials: [UInt8] = [0x01, 5] + Array("alice".utf8) + [6] + Array("secret".utf8)
        guard case .wait(let status) = feed(session, credentials) else { Issue.record("not waiting"); return }
        #expect(status == [0x01, 0x00])
    }

    @Test func wrongCredentialsGetTheFailureStatusFromTheNIOHandler() throws {
        let session = try session(try proxy { $0.auth = [try Credential(parsing: "alice:secret")] })
        _ = feed(session, [0x05, 0x01, 0x02])
        let credentials: [UInt8] = [0x01, 5] + Array("alice".utf8) + [5] + Array("wrong".utf8)
        let (written, channel) = try resume(feed(session, credentials))
        #expect(written == [0x01, 0x01])
        #expect(!channel.isActive)
    }

    @Test func deniedDestinationGetsReply02FromTheNIOHandler() throws {
        let session = try session(try proxy { $0.denyDest = [try DestinationRule(parsing: "127.0.0.0/8")] })
        _ = feed(session, [0x05, 0x01, 0x00])
        let (written, channel) = try resume(feed(session, [0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80]))
        #expect(written.prefix(2) == [0x05, 0x02])
        #expect(!channel.isActive)
    }

    @Test func clientOutsideAllowGets5BFromTheNIOHandler() throws {
        let session = try session(try proxy { $0.allow = [try CIDR(parsing: "10.0.0.0/8")] }, client: "192.0.2.1")
        let (written, channel) = try resume(feed(session, [0x04, 0x01, 0, 80, 127, 0, 0, 1, 0x00]))
        #expect(written.prefix(2) == [0x00, 0x5B])
        #expect(!channel.isActive)
    }

    @Test func pipelinedGreetingAndNameRequestMoveWithTheMethodReplyFirst() throws {
        let session = try session(try proxy())
        let name = Array("example.test".utf8)
        let request: [UInt8] = [0x05, 0x01, 0x00, 0x03, UInt8(name.count)] + name + [0, 80]
        guard case .moveToNIO(let reply, _) = feed(session, [0x05, 0x01, 0x00] + request) else {
            Issue.record("a name is resolved in NIO")
            return
        }
        #expect(reply == [0x05, 0x00])
    }

    @Test func unknownCommandGetsReply07FromTheNIOHandler() throws {
        let session = try session(try proxy())
        _ = feed(session, [0x05, 0x01, 0x00])
        let (written, channel) = try resume(feed(session, [0x05, 0x09, 0x00, 0x01, 127, 0, 0, 1, 0, 80]))
        #expect(written.prefix(2) == [0x05, 0x07])
        #expect(!channel.isActive)
    }
}
