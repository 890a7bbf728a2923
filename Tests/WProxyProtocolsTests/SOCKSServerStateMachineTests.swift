import NIOCore
import Testing

@testable import WProxyProtocols

private typealias Action = SOCKSServerStateMachine.Action

private let noAuth = SOCKSServerStateMachine.Configuration(authRequired: false)
private let withAuth = SOCKSServerStateMachine.Configuration(authRequired: true)

private let greetingNoAuth: [UInt8] = [5, 1, 0]
private let greetingBoth: [UInt8] = [5, 2, 0, 2]
private let credentials: [UInt8] = [1, 4] + Array("user".utf8) + [4] + Array("pass".utf8)
/// CONNECT example.com:443
private let connectDomain: [UInt8] = [5, 1, 0, 3, 11] + Array("example.com".utf8) + [0x01, 0xBB]
private let exampleTarget = SOCKSTarget(host: .domain("example.com"), port: 443)
private let bound = SOCKSTarget(host: .ipv4(0x0A00_0001), port: 5555)
private let boundReplyV5: [UInt8] = [5, 0, 0, 1, 10, 0, 0, 1, 0x15, 0xB3]
private let boundReplyV4: [UInt8] = [0, 0x5A, 0x15, 0xB3, 10, 0, 0, 1]
private let rejectedV4: [UInt8] = [0, 0x5B, 0, 0, 0, 0, 0, 0]

private func v5Failure(_ code: UInt8) -> [UInt8] { [5, code, 0, 1, 0, 0, 0, 0, 0, 0] }

extension SOCKSServerStateMachine {
    fileprivate mutating func receive(_ bytes: [UInt8]) -> Action {
        self.receivedBytes(ByteBuffer(bytes: bytes))
    }
}

@Suite struct SOCKSServerStateMachineTests {
    // MARK: - SOCKS5 happy paths

    @Test func noAuthConnect() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        #expect(machine.receive(greetingNoAuth) == .needMore(reply: [5, 0].buffer))
        let request = SOCKSRequest(version: .v5, command: .connect, target: exampleTarget)
        #expect(machine.receive(connectDomain) == .request(request, reply: nil))
        #expect(!machine.isEstablished)
        #expect(
            machine.requestSucceeded(boundAddress: bound) == .established(reply: boundReplyV5.buffer, leftover: nil)
        )
        #expect(machine.isEstablished)
    }

    @Test func pipelinedGreetingAndRequestInOneBuffer() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        let request = SOCKSRequest(version: .v5, command: .connect, target: exampleTarget)
        #expect(machine.receive(greetingNoAuth + connectDomain) == .request(request, reply: [5, 0].buffer))
    }

    @Test func dripFedHandshake() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        var replies: [UInt8] = []
        var surfaced: SOCKSRequest?
        for byte in greetingNoAuth + connectDomain {
            switch machine.receive([byte]) {
            case .needMore(let reply):
                replies += reply?.bytes ?? []
            case .request(let request, let reply):
                replies += reply?.bytes ?? []
                surfaced = request
            case .verifyCredentials, .sendBytes, .established, .forward, .replyAndClose, .close:
                Issue.record("unexpected action")
            }
        }
        #expect(replies == [5, 0])
        #expect(surfaced == SOCKSRequest(version: .v5, command: .connect, target: exampleTarget))
    }

    @Test func authSuccess() {
        var machine = SOCKSServerStateMachine(configuration: withAuth)
        #expect(machine.receive(greetingBoth) == .needMore(reply: [5, 2].buffer))
        #expect(machine.receive(credentials) == .verifyCredentials(username: "user", password: "pass", reply: nil))
        #expect(machine.credentialsVerified(ok: true) == .needMore(reply: [1, 0].buffer))
        let request = SOCKSRequest(version: .v5, command: .connect, target: exampleTarget, username: "user")
        #expect(machine.receive(connectDomain) == .request(request, reply: nil))
        #expect(
            machine.requestSucceeded(boundAddress: bound) == .established(reply: boundReplyV5.buffer, leftover: nil)
        )
    }

    @Test func authPipelinedAllAtOnce() {
        var machine = SOCKSServerStateMachine(configuration: withAuth)
        #expect(
            machine.receive(greetingBoth + credentials + connectDomain)
                == .verifyCredentials(username: "user", password: "pass", reply: [5, 2].buffer)
        )
        let request = SOCKSRequest(version: .v5, command: .connect, target: exampleTarget, username: "user")
        #expect(machine.credentialsVerified(ok: true) == .request(request, reply: [1, 0].buffer))
    }

    @Test func udpAssociateIsSurfaced() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth)
        let client = SOCKSTarget(host: .ipv4(0), port: 0)
        let request = SOCKSRequest(version: .v5, command: .udpAssociate, target: client)
        #expect(machine.receive([5, 3, 0, 1, 0, 0, 0, 0, 0, 0]) == .request(request, reply: nil))
        #expect(
            machine.requestSucceeded(boundAddress: bound) == .established(reply: boundReplyV5.buffer, leftover: nil)
        )
    }

    @Test func bindSendsTwoReplies() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth)
        let ftp = SOCKSTarget(host: .ipv4(0xC000_0201), port: 21)
        #expect(
            machine.receive([5, 2, 0, 1, 192, 0, 2, 1, 0, 21])
                == .request(SOCKSRequest(version: .v5, command: .bind, target: ftp), reply: nil)
        )
        #expect(machine.bindListening(address: bound) == .sendBytes(boundReplyV5.buffer))
        #expect(!machine.isEstablished)
        let peer = SOCKSTarget(host: .ipv4(0xC000_0201), port: 20)
        #expect(
            machine.bindAccepted(peer: peer)
                == .established(reply: [5, 0, 0, 1, 192, 0, 2, 1, 0, 20].buffer, leftover: nil)
        )
        #expect(machine.isEstablished)
    }

    @Test func bindFailureInSecondPhase() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth + [5, 2, 0, 1, 192, 0, 2, 1, 0, 21])
        _ = machine.bindListening(address: bound)
        #expect(machine.requestFailed(code: .ttlExpired) == .replyAndClose(v5Failure(6).buffer))
    }

    // MARK: - Leftover bytes

    @Test func bytesAfterTheRequestAreForwardedAfterSuccess() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        let request = SOCKSRequest(version: .v5, command: .connect, target: exampleTarget)
        #expect(
            machine.receive(greetingNoAuth + connectDomain + [1, 2, 3]) == .request(request, reply: [5, 0].buffer)
        )
        #expect(machine.receive([4, 5]) == .needMore(reply: nil))
        #expect(
            machine.requestSucceeded(boundAddress: bound)
                == .established(reply: boundReplyV5.buffer, leftover: [1, 2, 3, 4, 5].buffer)
        )
        #expect(machine.receive([6]) == .forward([6].buffer))
    }

    @Test func bindKeepsEarlyBytesUntilTheSecondReply() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth + [5, 2, 0, 1, 192, 0, 2, 1, 0, 21] + [9])
        _ = machine.bindListening(address: bound)
        let action = machine.bindAccepted(peer: bound)
        #expect(action == .established(reply: boundReplyV5.buffer, leftover: [9].buffer))
    }

    // MARK: - SOCKS5 refusals

    @Test func wrongPasswordGetsStatus1AndClose() {
        var machine = SOCKSServerStateMachine(configuration: withAuth)
        _ = machine.receive(greetingBoth)
        _ = machine.receive(credentials)
        #expect(machine.credentialsVerified(ok: false) == .replyAndClose([1, 1].buffer))
        #expect(machine.receive(connectDomain) == .close)
    }

    @Test func malformedCredentialsGetStatus1() {
        var machine = SOCKSServerStateMachine(configuration: withAuth)
        _ = machine.receive(greetingBoth)
        #expect(machine.receive([1, 0, 1, 0x70]) == .replyAndClose([1, 1].buffer))
    }

    @Test(arguments: [
        (noAuth, [UInt8]([5, 1, 2])),
        (withAuth, [5, 1, 0]),
        (withAuth, [5, 2, 0, 1]),
        (noAuth, [5, 0]),
    ])
    func noAcceptableMethod(configuration: SOCKSServerStateMachine.Configuration, greeting: [UInt8]) {
        var machine = SOCKSServerStateMachine(configuration: configuration)
        #expect(machine.receive(greeting) == .replyAndClose([5, 0xFF].buffer))
    }

    @Test func authRequiredPicksUsernamePasswordEvenWhenNoAuthIsOffered() {
        var machine = SOCKSServerStateMachine(configuration: withAuth)
        #expect(machine.receive([5, 1, 2]) == .needMore(reply: [5, 2].buffer))
    }

    @Test func unknownCommandGets0x07() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth)
        #expect(machine.receive([5, 9, 0, 1, 1, 2, 3, 4, 0, 80]) == .replyAndClose(v5Failure(7).buffer))
    }

    @Test func unknownAddressTypeGets0x08() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth)
        #expect(machine.receive([5, 1, 0, 2, 1, 2, 3, 4, 0, 80]) == .replyAndClose(v5Failure(8).buffer))
    }

    @Test func malformedRequestGets0x01() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth)
        #expect(machine.receive([5, 1, 0, 3, 0, 0, 80]) == .replyAndClose(v5Failure(1).buffer))
        var wrongVersion = SOCKSServerStateMachine(configuration: noAuth)
        _ = wrongVersion.receive(greetingNoAuth)
        #expect(wrongVersion.receive([4, 1, 0, 80, 1, 2, 3, 4, 0]) == .replyAndClose(v5Failure(1).buffer))
    }

    @Test func requestFailedCarriesTheCode() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive(greetingNoAuth + connectDomain)
        #expect(machine.requestFailed(code: .hostUnreachable) == .replyAndClose(v5Failure(4).buffer))

        var notAFailure = SOCKSServerStateMachine(configuration: noAuth)
        _ = notAFailure.receive(greetingNoAuth + connectDomain)
        #expect(notAFailure.requestFailed(code: .succeeded) == .replyAndClose(v5Failure(1).buffer))
    }

    @Test(arguments: [[UInt8]([0x47, 0x45, 0x54, 0x20]), [0x16, 0x03, 0x01], [0], [6]])
    func unknownVersionClosesWithoutReply(bytes: [UInt8]) {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        #expect(machine.receive(bytes) == .close)
    }

    @Test func emptyInputNeedsMore() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        #expect(machine.receive([]) == .needMore(reply: nil))
    }
}
