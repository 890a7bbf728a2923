import NIOCore
import Testing

@testable import WProxyProtocols

private let target = SOCKSTarget(host: .domain("example.com"), port: 443)

/// The client machine against hand-written hop replies, including misbehaving hops.
@Suite struct SOCKSClientStateMachineUnitTests {
    @Test func greetingBytes() {
        var plain = SOCKSClientStateMachine(version: .v5, target: target)
        #expect(plain.start() == .sendBytes([5, 1, 0].buffer))
        var withCredentials = SOCKSClientStateMachine(
            version: .v5,
            target: target,
            credentials: .init(username: "u", password: "")
        )
        #expect(withCredentials.start() == .sendBytes([5, 2, 0, 2].buffer))
        #expect(withCredentials.receivedBytes([5, 2].buffer) == .sendBytes([1, 1, 0x75, 0].buffer))
    }

    @Test func dripFedReplies() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        _ = client.start()
        #expect(client.receivedBytes([5].buffer) == .needMore)
        let request: [UInt8] = [5, 1, 0, 3, 11] + Array("example.com".utf8) + [0x01, 0xBB]
        #expect(client.receivedBytes([0].buffer) == .sendBytes(request.buffer))
        let reply: [UInt8] = [5, 0, 0, 4] + Array(repeating: 0, count: 15) + [1, 0x04, 0x38]
        for byte in reply.dropLast() {
            #expect(client.receivedBytes([byte].buffer) == .needMore)
        }
        #expect(client.receivedBytes([reply.last!].buffer) == .established(leftover: nil))
        #expect(client.boundAddress == SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 1080))
    }

    @Test func unassignedReplyCodeIsReported() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        _ = client.start()
        _ = client.receivedBytes([5, 0].buffer)
        #expect(
            client.receivedBytes([5, 0x09, 0, 1, 0, 0, 0, 0, 0, 0].buffer) == .failed(.socks5Reply(.unassigned(9)))
        )
    }

    @Test func misbehavingHops() {
        var wrongVersion = SOCKSClientStateMachine(version: .v5, target: target)
        _ = wrongVersion.start()
        #expect(wrongVersion.receivedBytes([4, 0].buffer) == .failed(.malformedReply(.invalidVersion(4))))

        var unofferedMethod = SOCKSClientStateMachine(version: .v5, target: target)
        _ = unofferedMethod.start()
        #expect(unofferedMethod.receivedBytes([5, 2].buffer) == .failed(.unexpectedMethod(.usernamePassword)))

        var gssapi = SOCKSClientStateMachine(version: .v5, target: target)
        _ = gssapi.start()
        #expect(gssapi.receivedBytes([5, 1].buffer) == .failed(.unexpectedMethod(.gssapi)))

        var badAddress = SOCKSClientStateMachine(version: .v5, target: target)
        _ = badAddress.start()
        _ = badAddress.receivedBytes([5, 0].buffer)
        #expect(badAddress.receivedBytes([5, 0, 0, 9].buffer) == .failed(.malformedReply(.unsupportedAddressType(9))))

        var socks4 = SOCKSClientStateMachine(version: .v4, target: target)
        _ = socks4.start()
        #expect(
            socks4.receivedBytes([5, 0x5A, 0, 0, 0, 0, 0, 0].buffer) == .failed(.malformedReply(.invalidVersion(5)))
        )
    }

    @Test func unencodableRequests() {
        let longName = String(repeating: "a", count: 256)
        var emptyDomain = SOCKSClientStateMachine(version: .v5, target: SOCKSTarget(host: .domain(""), port: 1))
        #expect(emptyDomain.start() == .failed(.unencodableRequest))
        var longDomain = SOCKSClientStateMachine(version: .v4, target: SOCKSTarget(host: .domain(longName), port: 1))
        #expect(longDomain.start() == .failed(.unencodableRequest))
        var longUser = SOCKSClientStateMachine(
            version: .v5,
            target: target,
            credentials: .init(username: longName, password: "x")
        )
        #expect(longUser.start() == .failed(.unencodableRequest))
        var emptyUser = SOCKSClientStateMachine(
            version: .v5,
            target: target,
            credentials: .init(username: "", password: "x")
        )
        #expect(emptyUser.start() == .failed(.unencodableRequest))
        var nulUser = SOCKSClientStateMachine(
            version: .v4,
            target: target,
            credentials: .init(username: "a\u{0}b", password: "")
        )
        #expect(nulUser.start() == .failed(.unencodableRequest))
    }

    @Test func socks4ToAnIPv6TargetUsesSOCKS4aText() {
        var client = SOCKSClientStateMachine(version: .v4, target: SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 22))
        #expect(client.start() == .sendBytes([4, 1, 0, 22, 0, 0, 0, 1, 0, 0x3A, 0x3A, 0x31, 0].buffer))
    }

    @Test func afterAFailureItRefusesToContinue() {
        var client = SOCKSClientStateMachine(version: .v5, target: target)
        _ = client.start()
        #expect(client.receivedBytes([5, 0xFF].buffer) == .failed(.noAcceptableMethod))
        #expect(client.receivedBytes([5, 0].buffer) == .failed(.invalidState))
        #expect(client.start() == .failed(.invalidState))
        #expect(client.boundAddress == nil)
    }

    @Test func eventsInTheWrongState() {
        var notStarted = SOCKSClientStateMachine(version: .v5, target: target)
        #expect(notStarted.receivedBytes([5, 0].buffer) == .failed(.invalidState))

        var twice = SOCKSClientStateMachine(version: .v4, target: target)
        _ = twice.start()
        #expect(twice.start() == .failed(.invalidState))
    }
}
