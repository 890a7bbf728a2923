import NIOCore
import Testing

@testable import WProxyProtocols

/// What the fake server-side handler does with a surfaced request.
private enum Outcome {
    case succeed(SOCKSTarget)
    case fail(SOCKS5ReplyCode)
}

/// The result of piping a client machine into a server machine.
private struct PipeResult {
    var client: SOCKSClientStateMachine.Action?
    var request: SOCKSRequest?
    var serverEstablished = false
    var serverClosed = false
    var serverLeftover: ByteBuffer?
}

/// Plays a tiny handler for each side and moves bytes between them until the client finishes.
/// `extraAfterReply` is appended to the server's success reply, as if the target spoke immediately.
private func pipe(
    client: inout SOCKSClientStateMachine,
    server: inout SOCKSServerStateMachine,
    accept: (String, String) -> Bool = { _, _ in true },
    outcome: Outcome = .succeed(SOCKSTarget(host: .ipv4(0x0A00_0001), port: 4000)),
    extraAfterReply: [UInt8] = []
) -> PipeResult {
    var result = PipeResult()
    var toServer: [ByteBuffer] = []
    var toClient: [ByteBuffer] = []

    func handleClient(_ action: SOCKSClientStateMachine.Action) {
        switch action {
        case .sendBytes(let bytes): toServer.append(bytes)
        case .needMore, .forward: break
        case .established, .failed: result.client = action
        }
    }
    func handleServer(_ action: SOCKSServerStateMachine.Action) {
        switch action {
        case .needMore(let reply):
            if let reply { toClient.append(reply) }
        case .verifyCredentials(let user, let pass, let reply):
            if let reply { toClient.append(reply) }
            handleServer(server.credentialsVerified(ok: accept(user, pass)))
        case .request(let request, let reply):
            if let reply { toClient.append(reply) }
            result.request = request
            switch outcome {
            case .succeed(let bound): handleServer(server.requestSucceeded(boundAddress: bound))
            case .fail(let code): handleServer(server.requestFailed(code: code))
            }
        case .sendBytes(let bytes):
            toClient.append(bytes)
        case .established(let reply, let leftover):
            toClient.append(ByteBuffer(bytes: reply.bytes + extraAfterReply))
            result.serverEstablished = true
            result.serverLeftover = leftover
        case .forward:
            break
        case .replyAndClose(let reply):
            toClient.append(reply)
            result.serverClosed = true
        case .close:
            result.serverClosed = true
        }
    }

    handleClient(client.start())
    for _ in 0..<20 where result.client == nil {
        if !toServer.isEmpty { handleServer(server.receivedBytes(toServer.removeFirst())) }
        if !toClient.isEmpty { handleClient(client.receivedBytes(toClient.removeFirst())) }
    }
    return result
}

private let target = SOCKSTarget(host: .domain("example.com"), port: 443)
private let ipTarget = SOCKSTarget(host: .ipv4(0xC000_0201), port: 8080)
private let alice = SOCKSClientStateMachine.Credentials(username: "alice", password: "wonderland")

@Suite struct SOCKSClientStateMachineTests {
    @Test func socks5WithoutAuth() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server)
        #expect(result.client == .established(leftover: nil))
        #expect(result.request == SOCKSRequest(version: .v5, command: .connect, target: target))
        #expect(result.serverEstablished)
        #expect(client.boundAddress == SOCKSTarget(host: .ipv4(0x0A00_0001), port: 4000))
    }

    @Test func socks5WithAuth() {
        var client = SOCKSClientStateMachine(version: .v5, target: target, credentials: alice)
        var server = SOCKSServerStateMachine(configuration: .init(authRequired: true))
        var seen: (String, String)?
        let result = pipe(
            client: &client,
            server: &server,
            accept: {
                seen = ($0, $1)
                return true
            }
        )
        #expect(result.client == .established(leftover: nil))
        #expect(seen?.0 == "alice" && seen?.1 == "wonderland")
        #expect(result.request?.username == "alice")
    }

    @Test func socks5CredentialsOfferedToANoAuthServer() {
        var client = SOCKSClientStateMachine(version: .v5, target: ipTarget, credentials: alice)
        var server = SOCKSServerStateMachine(configuration: .init())
        #expect(pipe(client: &client, server: &server).client == .established(leftover: nil))
    }

    @Test func socks5WrongPassword() {
        var client = SOCKSClientStateMachine(version: .v5, target: target, credentials: alice)
        var server = SOCKSServerStateMachine(configuration: .init(authRequired: true))
        let result = pipe(client: &client, server: &server, accept: { _, _ in false })
        #expect(result.client == .failed(.authenticationFailed(status: 1)))
        #expect(result.serverClosed)
    }

    @Test func socks5NoCredentialsForAnAuthServer() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        var server = SOCKSServerStateMachine(configuration: .init(authRequired: true))
        #expect(pipe(client: &client, server: &server).client == .failed(.noAcceptableMethod))
    }

    @Test func socks4() {
        var client = SOCKSClientStateMachine(version: .v4, target: ipTarget, credentials: alice)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server)
        #expect(result.client == .established(leftover: nil))
        #expect(result.request == SOCKSRequest(version: .v4, command: .connect, target: ipTarget, username: "alice"))
    }

    @Test func socks4aForADomain() {
        var client = SOCKSClientStateMachine(version: .v4, target: target)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server)
        #expect(result.client == .established(leftover: nil))
        #expect(result.request == SOCKSRequest(version: .v4, command: .connect, target: target))
    }

    @Test(arguments: [SOCKS5ReplyCode.connectionRefused, .hostUnreachable, .notAllowedByRuleset, .ttlExpired])
    func socks5FailureCodeIsPropagated(code: SOCKS5ReplyCode) {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server, outcome: .fail(code))
        #expect(result.client == .failed(.socks5Reply(code)))
        #expect(result.serverClosed)
    }

    @Test func socks4FailureIsPropagated() {
        var client = SOCKSClientStateMachine(version: .v4, target: target)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server, outcome: .fail(.connectionRefused))
        #expect(result.client == .failed(.socks4Reply(.rejected)))
    }

    @Test func bytesAfterTheReplyAreLeftover() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        var server = SOCKSServerStateMachine(configuration: .init())
        let result = pipe(client: &client, server: &server, extraAfterReply: [0x48, 0x49])
        #expect(result.client == .established(leftover: [0x48, 0x49].buffer))
        #expect(client.receivedBytes([0x4A].buffer) == .forward([0x4A].buffer))
    }
}
