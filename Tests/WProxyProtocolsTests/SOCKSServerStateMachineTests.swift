import NIOCore
import Testing

@testable import WProxyProtocols

/// The server state machine with raw bytes and no channel: every path, limits, and "after an error it
/// refuses to continue".
@Suite struct SOCKSServerStateMachineTests {
    typealias Machine = SOCKSServerStateMachine

    private func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }
    private static let connect80: [UInt8] = [0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0, 80]
    private static let target80 = SOCKSTarget(host: .ipv4(0x7F00_0001), port: 80)
    private static let bound = SOCKSTarget(host: .ipv4(0x0A00_0001), port: 4242)

    private func reply(_ action: Machine.Action) -> [UInt8]? {
        switch action {
        case .needMore(let reply): return reply.map { Array($0.readableBytesView) }
        case .replyAndClose(let bytes), .sendBytes(let bytes): return Array(bytes.readableBytesView)
        case .request(_, let reply), .verifyCredentials(_, _, let reply): return reply.map { Array($0.readableBytesView) }
        case .established(let reply, _): return Array(reply.readableBytesView)
        case .forward, .close: return nil
        }
    }

    @Test func socks5ConnectWithoutAuthentication() {
        var machine = Machine(configuration: .init())
        #expect(reply(machine.receivedBytes(bytes([0x05, 0x01, 0x00]))) == [0x05, 0x00])
        guard case .request(let request, nil) = machine.receivedBytes(bytes(Self.connect80)) else {
            Issue.record("expected the request")
            return
        }
        #expect(request == SOCKSRequest(version: .v5, command: .connect, target: Self.target80))
        guard case .established(let success, nil) = machine.requestSucceeded(boundAddress: Self.bound) else {
            Issue.record("expected established")
            return
        }
        #expect(Array(success.readableBytesView) == [0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0x10, 0x92])
        #expect(machine.isEstablished)
        #expect(machine.receivedBytes(bytes([1, 2])) == .forward(bytes([1, 2])))
    }

    @Test func dripFedHandshakeGivesTheSameResult() {
        var machine = Machine(configuration: .init())
        var replies: [UInt8] = []
        var request: SOCKSRequest?
        for byte in [0x05, 0x02, 0x00, 0x02] + Self.connect80 {
            switch machine.receivedBytes(bytes([byte])) {
            case .needMore(let reply): replies += reply.map { Array($0.readableBytesView) } ?? []
            case .request(let parsed, let reply):
                replies += reply.map { Array($0.readableBytesView) } ?? []
                request = parsed
            default: Issue.record("unexpected action")
            }
        }
        #expect(replies == [0x05, 0x00])
        #expect(request?.target == Self.target80)
    }

    @Test func usernamePasswordFlowPipelined() {
        var machine = Machine(configuration: .init(authRequired: true))
        let all = [0x05, 0x01, 0x02, 0x01, 0x01, 0x75, 0x01, 0x70] + Self.connect80 + [0xEE]
        guard case .verifyCredentials("u", "p", let selection) = machine.receivedBytes(bytes(all)) else {
            Issue.record("expected verifyCredentials")
            return
        }
        #expect(selection.map { Array($0.readableBytesView) } == [0x05, 0x02])
        guard case .request(let request, let status) = machine.credentialsVerified(ok: true) else {
            Issue.record("expected the request")
            return
        }
        #expect(status.map { Array($0.readableBytesView) } == [0x01, 0x00])
        #expect(request.username == "u")
        guard case .established(_, let leftover) = machine.requestSucceeded(boundAddress: Self.bound) else {
            Issue.record("expected established")
            return
        }
        #expect(leftover.map { Array($0.readableBytesView) } == [0xEE])  // early data is handed on
    }

    @Test func wrongPasswordIs0101ThenRefusesToContinue() {
        var machine = Machine(configuration: .init(authRequired: true))
        _ = machine.receivedBytes(bytes([0x05, 0x01, 0x02, 0x01, 0x01, 0x75, 0x01, 0x70]))
        #expect(machine.credentialsVerified(ok: false) == .replyAndClose(bytes([0x01, 0x01])))
        #expect(machine.receivedBytes(bytes(Self.connect80)) == .close)
        #expect(machine.credentialsVerified(ok: true) == .close)
        #expect(machine.requestSucceeded(boundAddress: Self.bound) == .close)
    }

    @Test func noAcceptableMethod() {
        var withAuth = Machine(configuration: .init(authRequired: true))
        #expect(withAuth.receivedBytes(bytes([0x05, 0x01, 0x00])) == .replyAndClose(bytes([0x05, 0xFF])))
        var without = Machine(configuration: .init())
        #expect(without.receivedBytes(bytes([0x05, 0x01, 0x02])) == .replyAndClose(bytes([0x05, 0xFF])))
        #expect(without.receivedBytes(bytes([0x05, 0x01, 0x00])) == .close)
        var none = Machine(configuration: .init())
        #expect(none.receivedBytes(bytes([0x05, 0x00])) == .replyAndClose(bytes([0x05, 0xFF])))
    }

    /// Regression: a rejection of a pipelined request used to drop the method selection before it, so the
    /// client read the rejection as the selection.
    @Test(arguments: [(UInt8(0x09), UInt8(0x01), UInt8(0x07)), (0x01, 0x07, 0x08)])
    func pipelinedRejectionKeepsTheMethodSelection(command: UInt8, addressType: UInt8, code: UInt8) {
        var machine = Machine(configuration: .init())
        let action = machine.receivedBytes(bytes([0x05, 0x01, 0x00, 0x05, command, 0x00, addressType, 127, 0, 0, 1, 0, 80]))
        #expect(reply(action) == [0x05, 0x00, 0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(machine.receivedBytes(bytes([0x05])) == .close)
    }

    @Test func pipelinedBadCredentialsKeepTheMethodSelection() {
        var machine = Machine(configuration: .init(authRequired: true))
        let action = machine.receivedBytes(bytes([0x05, 0x01, 0x02, 0x01, 0x00, 0x00]))  // ULEN 0
        #expect(action == .replyAndClose(bytes([0x05, 0x02, 0x01, 0x01])))
    }

    @Test func socks4And4a() {
        var v4 = Machine(configuration: .init())
        guard case .request(let request, nil) = v4.receivedBytes(bytes([0x04, 0x01, 0, 80, 127, 0, 0, 1, 0x62, 0])) else {
            Issue.record("expected a SOCKS4 request")
            return
        }
        #expect(request == SOCKSRequest(version: .v4, command: .connect, target: Self.target80, username: "b"))
        #expect(reply(v4.requestSucceeded(boundAddress: Self.bound)) == [0x00, 0x5A, 0x10, 0x92, 10, 0, 0, 1])

        var v4a = Machine(configuration: .init())
        let host = Array("example.test".utf8)
        guard case .request(let named, nil) = v4a.receivedBytes(bytes([0x04, 0x01, 0, 80, 0, 0, 0, 1, 0] + host + [0]))
        else {
            Issue.record("expected a SOCKS4a request")
            return
        }
        #expect(named.target.host == .domain("example.test") && named.username == nil)
        #expect(v4a.requestFailed(code: .connectionRefused) == .replyAndClose(bytes([0x00, 0x5B, 0, 0, 0, 0, 0, 0])))
    }

    @Test func socks4RejectedWhenAuthRequiredAndForUDP() {
        var auth = Machine(configuration: .init(authRequired: true))
        #expect(reply(auth.receivedBytes(bytes([0x04, 0x01, 0, 80, 127, 0, 0, 1, 0]))) == [0x00, 0x5B, 0, 0, 0, 0, 0, 0])
        var udp = Machine(configuration: .init())
        #expect(reply(udp.receivedBytes(bytes([0x04, 0x03, 0, 80, 127, 0, 0, 1, 0]))) == [0x00, 0x5B, 0, 0, 0, 0, 0, 0])
    }

    @Test func bindHasTwoReplies() {
        var machine = Machine(configuration: .init())
        _ = machine.receivedBytes(bytes([0x05, 0x01, 0x00]))
        guard case .request(let request, _) = machine.receivedBytes(bytes([0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0])) else {
            Issue.record("expected the request")
            return
        }
        #expect(request.command == .bind)
        #expect(machine.requestSucceeded(boundAddress: Self.bound) == .close)  // BIND must use bindListening

        var bind = Machine(configuration: .init())
        _ = bind.receivedBytes(bytes([0x05, 0x01, 0x00, 0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
        #expect(reply(bind.bindListening(address: Self.bound)) == [0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0x10, 0x92])
        #expect(!bind.isEstablished)
        #expect(bind.receivedBytes(bytes([0x41])) == .needMore(reply: nil))  // early data waits for the peer
        guard case .established(let second, let leftover) = bind.bindAccepted(peer: Self.target80) else {
            Issue.record("expected established")
            return
        }
        #expect(Array(second.readableBytesView) == [0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 80])
        #expect(leftover.map { Array($0.readableBytesView) } == [0x41])
    }

    @Test func bindTimeoutAfterTheFirstReply() {
        var bind = Machine(configuration: .init())
        _ = bind.receivedBytes(bytes([0x05, 0x01, 0x00, 0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
        _ = bind.bindListening(address: Self.bound)
        #expect(reply(bind.requestFailed(code: .ttlExpired)) == [0x05, 0x06, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        #expect(bind.bindAccepted(peer: Self.target80) == .close)
    }

    @Test func failureRepliesAndSucceededIsNotAFailure() {
        var machine = Machine(configuration: .init())
        _ = machine.receivedBytes(bytes([0x05, 0x01, 0x00] + Self.connect80))
        #expect(reply(machine.requestFailed(code: .succeeded)) == [0x05, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
    }

    @Test func limits() {
        var handshake = Machine(configuration: .init(maxHandshakeBytes: 8))
        #expect(handshake.receivedBytes(bytes([0x05, 0x10, 1, 2, 3, 4, 5, 6])) == .needMore(reply: nil))
        #expect(handshake.receivedBytes(bytes([7])) == .close)

        var early = Machine(configuration: .init(maxEarlyDataBytes: 4))
        _ = early.receivedBytes(bytes([0x05, 0x01, 0x00] + Self.connect80))
        #expect(early.receivedBytes(bytes([1, 2, 3, 4])) == .needMore(reply: nil))
        #expect(early.receivedBytes(bytes([5])) == .close)
        #expect(early.requestSucceeded(boundAddress: Self.bound) == .close)
    }

    @Test func unknownVersionAndEventsInTheWrongState() {
        var garbage = Machine(configuration: .init())
        #expect(garbage.receivedBytes(bytes([0x47, 0x45, 0x54])) == .close)
        #expect(garbage.receivedBytes(bytes([0x05, 0x01, 0x00])) == .close)

        var early = Machine(configuration: .init())
        #expect(early.requestSucceeded(boundAddress: Self.bound) == .close)
        #expect(early.receivedBytes(bytes([0x05, 0x01, 0x00])) == .close)

        var twice = Machine(configuration: .init())
        _ = twice.receivedBytes(bytes([0x05, 0x01, 0x00] + Self.connect80))
        _ = twice.requestSucceeded(boundAddress: Self.bound)
        #expect(twice.requestSucceeded(boundAddress: Self.bound) == .close)
        #expect(twice.receivedBytes(bytes([1])) == .close)
    }
}
