import NIOCore
import Testing

@testable import WProxyProtocols

private let noAuth = SOCKSServerStateMachine.Configuration(authRequired: false)
private let rejected: [UInt8] = [0, 0x5B, 0, 0, 0, 0, 0, 0]
private let bound = SOCKSTarget(host: .ipv4(0x0A00_0001), port: 5555)

extension SOCKSServerStateMachine {
    fileprivate mutating func receive(_ bytes: [UInt8]) -> Action {
        self.receivedBytes(ByteBuffer(bytes: bytes))
    }
}

/// SOCKS4/4a paths, the limits, and "after an error it refuses to continue".
@Suite struct SOCKSServerStateMachineSOCKS4Tests {
    @Test func socks4Connect() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        let request = SOCKSRequest(
            version: .v4,
            command: .connect,
            target: SOCKSTarget(host: .ipv4(0x7F00_0001), port: 80),
            username: "bob"
        )
        #expect(machine.receive([4, 1, 0, 80, 127, 0, 0, 1, 0x62, 0x6F, 0x62, 0]) == .request(request, reply: nil))
        #expect(
            machine.requestSucceeded(boundAddress: bound)
                == .established(reply: [0, 0x5A, 0x15, 0xB3, 10, 0, 0, 1].buffer, leftover: nil)
        )
    }

    @Test func socks4aDomainDripFed() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        let bytes: [UInt8] = [4, 1, 0x01, 0xBB, 0, 0, 0, 7, 0] + Array("example.com".utf8) + [0]
        for byte in bytes.dropLast() {
            #expect(machine.receive([byte]) == .needMore(reply: nil))
        }
        let request = SOCKSRequest(
            version: .v4,
            command: .connect,
            target: SOCKSTarget(host: .domain("example.com"), port: 443)
        )
        #expect(machine.receive([0]) == .request(request, reply: nil))
    }

    @Test func socks4RefusedUnderAuth() {
        var machine = SOCKSServerStateMachine(configuration: .init(authRequired: true))
        #expect(machine.receive([4, 1, 0, 80, 127, 0, 0, 1, 0]) == .replyAndClose(rejected.buffer))
    }

    @Test func socks4BindTwoReplies() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        let target = SOCKSTarget(host: .ipv4(0xC000_0201), port: 21)
        #expect(
            machine.receive([4, 2, 0, 21, 192, 0, 2, 1, 0])
                == .request(SOCKSRequest(version: .v4, command: .bind, target: target), reply: nil)
        )
        #expect(machine.bindListening(address: bound) == .sendBytes([0, 0x5A, 0x15, 0xB3, 10, 0, 0, 1].buffer))
        #expect(
            machine.bindAccepted(peer: target)
                == .established(reply: [0, 0x5A, 0, 21, 192, 0, 2, 1].buffer, leftover: nil)
        )
    }

    @Test func socks4FailureIs0x5BWhateverTheCode() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        _ = machine.receive([4, 1, 0, 80, 127, 0, 0, 1, 0])
        #expect(machine.requestFailed(code: .connectionRefused) == .replyAndClose(rejected.buffer))
    }

    @Test(arguments: [
        [UInt8]([4, 3, 0, 80, 127, 0, 0, 1, 0]),  // UDP ASSOCIATE does not exist in SOCKS4
        [4, 9, 0, 80, 127, 0, 0, 1, 0],  // unknown command
        [4, 1, 0, 80, 0, 0, 0, 1, 0, 0],  // SOCKS4a with an empty domain
        [4, 1, 0, 80, 1, 2, 3, 4] + [UInt8](repeating: 0x61, count: 300),  // USERID over the cap
    ])
    func socks4BadRequestsAreRejected(bytes: [UInt8]) {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        #expect(machine.receive(bytes) == .replyAndClose(rejected.buffer))
    }

    // MARK: - Limits

    @Test func handshakeByteLimit() {
        let config = SOCKSServerStateMachine.Configuration(maxHandshakeBytes: 16)
        var machine = SOCKSServerStateMachine(configuration: config)
        #expect(machine.receive([5, 255] + [UInt8](repeating: 0, count: 14)) == .needMore(reply: nil))
        #expect(machine.receive([0]) == .close)
        #expect(machine.receive([0]) == .close)
    }

    @Test func defaultLimitStopsBytesPipelinedDuringCredentialCheck() {
        var machine = SOCKSServerStateMachine(configuration: .init(authRequired: true))
        _ = machine.receive([5, 1, 2])
        _ = machine.receive([1, 1, 0x75, 1, 0x70])
        #expect(machine.receive([UInt8](repeating: 5, count: 2048)) == .needMore(reply: nil))
        #expect(machine.receive([5]) == .close)
        #expect(machine.credentialsVerified(ok: true) == .close)
    }

    @Test func earlyDataLimit() {
        var machine = SOCKSServerStateMachine(configuration: .init(maxEarlyDataBytes: 4))
        _ = machine.receive([4, 1, 0, 80, 127, 0, 0, 1, 0])
        #expect(machine.receive([1, 2, 3, 4]) == .needMore(reply: nil))
        #expect(machine.receive([5]) == .close)
        #expect(machine.requestSucceeded(boundAddress: bound) == .close, "a connect that finishes late is refused")
    }

    // MARK: - After an error

    @Test func afterAnErrorItRefusesToContinue() {
        var machine = SOCKSServerStateMachine(configuration: noAuth)
        #expect(machine.receive([5, 1, 2]) == .replyAndClose([5, 0xFF].buffer))
        #expect(machine.receive([5, 1, 0]) == .close)
        #expect(machine.credentialsVerified(ok: true) == .close)
        #expect(machine.requestSucceeded(boundAddress: bound) == .close)
        #expect(machine.bindListening(address: bound) == .close)
        #expect(machine.bindAccepted(peer: bound) == .close)
        #expect(machine.requestFailed(code: .generalFailure) == .close)
        #expect(!machine.isEstablished)
    }

    @Test func eventsInTheWrongStateCloseAndStick() {
        var early = SOCKSServerStateMachine(configuration: noAuth)
        #expect(early.requestSucceeded(boundAddress: bound) == .close)
        #expect(early.receive([5, 1, 0]) == .close)

        var connect = SOCKSServerStateMachine(configuration: noAuth)
        _ = connect.receive([4, 1, 0, 80, 127, 0, 0, 1, 0])
        #expect(connect.bindListening(address: bound) == .close, "bindListening on a CONNECT")

        var bind = SOCKSServerStateMachine(configuration: noAuth)
        _ = bind.receive([4, 2, 0, 80, 127, 0, 0, 1, 0])
        #expect(bind.requestSucceeded(boundAddress: bound) == .close, "requestSucceeded on a BIND")

        var noCredentials = SOCKSServerStateMachine(configuration: noAuth)
        #expect(noCredentials.credentialsVerified(ok: true) == .close)

        var established = SOCKSServerStateMachine(configuration: noAuth)
        _ = established.receive([4, 1, 0, 80, 127, 0, 0, 1, 0])
        _ = established.requestSucceeded(boundAddress: bound)
        #expect(established.requestFailed(code: .generalFailure) == .close)
        #expect(!established.isEstablished)
    }
}
