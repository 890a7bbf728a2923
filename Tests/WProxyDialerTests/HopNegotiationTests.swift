import NIOCore
import Testing
import WProxyConfig
import WProxyProtocols

@testable import WProxyDialer

@Suite struct HopNegotiationTests {
    private func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }

    @Test func socks5HopSendsTheNextTargetByName() throws {
        let hop = try ProxyURL(parsing: "socks5://127.0.0.1:1080")
        var negotiation = SOCKSHopNegotiation(hop: hop, host: "example.test", port: 443)
        guard case .send(let greeting) = negotiation.start() else { Issue.record("no greeting"); return }
        #expect(Array(greeting.readableBytesView) == [5, 1, 0])
        guard case .send(let request) = negotiation.received(bytes([5, 0])) else { Issue.record("no request"); return }
        #expect(Array(request.readableBytesView) == [5, 1, 0, 3, 12] + Array("example.test".utf8) + [1, 187])
        // Reply plus two bytes the destination sent first: they are kept.
        guard case .established(let leftover) = negotiation.received(bytes([5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x42])) else {
            Issue.record("not established"); return
        }
        #expect(leftover.map { Array($0.readableBytesView) } == [0x41, 0x42])
    }

    @Test(arguments: [
        (UInt8(0x05), DialError.Kind.refused), (0x04, .hostUnreachable), (0x03, .networkUnreachable),
        (0x06, .timedOut), (0x02, .notAllowed), (0x01, .other),
    ])
    func socks5RepliesMapToDialErrorKinds(code: UInt8, kind: DialError.Kind) throws {
        let hop = try ProxyURL(parsing: "socks5://h:1")
        var negotiation = SOCKSHopNegotiation(hop: hop, host: "10.0.0.1", port: 80)
        _ = negotiation.start()
        _ = negotiation.received(bytes([5, 0]))
        guard case .failed(let error) = negotiation.received(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])) else {
            Issue.record("expected a failure"); return
        }
        #expect(error.kind == kind)
        #expect(error.target == "10.0.0.1:80")
    }

    @Test func socks5HopWithCredentialsRunsRFC1929() throws {
        let hop = try ProxyURL(parsing: "socks5://al%40ice:pw@h:1")
        var negotiation = SOCKSHopNegotiation(hop: hop, host: "d", port: 1)
        guard case .send(let greeting) = negotiation.start() else { Issue.record("no greeting"); return }
        #expect(Array(greeting.readableBytesView) == [5, 2, 0, 2])
        guard case .send(let auth) = negotiation.received(bytes([5, 2])) else { Issue.record("no auth"); return }
        #expect(Array(auth.readableBytesView) == [1, 6] + Array("al@ice".utf8) + [2] + Array("pw".utf8))
        guard case .failed(let error) = negotiation.received(bytes([1, 1])) else { Issue.record("expected failure"); return }
        #expect(error.kind == .proxyAuthRequired)
    }

    @Test func socks5HopWantingCredentialsWeLackIsProxyAuthRequired() throws {
        var negotiation = SOCKSHopNegotiation(hop: try ProxyURL(parsing: "socks5://h:1"), host: "d", port: 1)
        _ = negotiation.start()
        guard case .failed(let error) = negotiation.received(bytes([5, 0xFF])) else { Issue.record("expected failure"); return }
        #expect(error.kind == .proxyAuthRequired)
        #expect(error.detail.contains("user:pass@"))
    }

    @Test func socks4HopRejectionIsRefused() throws {
        var negotiation = SOCKSHopNegotiation(hop: try ProxyURL(parsing: "socks4://h:1"), host: "1.2.3.4", port: 80)
        guard case .send(let request) = negotiation.start() else { Issue.record("no request"); return }
        #expect(Array(request.readableBytesView) == [4, 1, 0, 80, 1, 2, 3, 4, 0])
        guard case .failed(let error) = negotiation.received(bytes([0, 0x5B, 0, 0, 0, 0, 0, 0])) else {
            Issue.record("expected failure"); return
        }
        #expect(error.kind == .refused)
    }

    @Test func httpHopSendsConnectWithCredentialsAndKeepsLeftover() throws {
        let hop = try ProxyURL(parsing: "http://u:p@h:3128")
        var negotiation = HTTPConnectHopNegotiation(hop: hop, host: "::1", port: 8443)
        guard case .send(let request) = negotiation.start() else { Issue.record("no request"); return }
        let text = String(decoding: request.readableBytesView, as: UTF8.self)
        #expect(text.hasPrefix("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n"))
        #expect(text.contains("Proxy-Authorization: Basic dTpw\r\n"))
        // Dripped one byte at a time, then the head plus tunnel bytes.
        let reply = Array("HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0".utf8)
        for byte in reply.prefix(10) {
            guard case .needMore = negotiation.received(bytes([byte])) else { Issue.record("early step"); return }
        }
        guard case .established(let leftover) = negotiation.received(bytes(Array(reply.dropFirst(10)))) else {
            Issue.record("not established"); return
        }
        #expect(leftover.map { String(decoding: $0.readableBytesView, as: UTF8.self) } == "SSH-2.0")
    }

    @Test(arguments: [
        (407, DialError.Kind.proxyAuthRequired), (403, .notAllowed), (502, .refused), (503, .refused),
        (504, .timedOut), (500, .other),
    ])
    func httpHopStatusesMapToKinds(status: Int, kind: DialError.Kind) throws {
        var negotiation = HTTPConnectHopNegotiation(hop: try ProxyURL(parsing: "http://h:1"), host: "d", port: 80)
        _ = negotiation.start()
        let head = "HTTP/1.1 \(status) Nope\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n"
        guard case .failed(let error) = negotiation.received(ByteBuffer(string: head)) else {
            Issue.record("expected failure"); return
        }
        #expect(error.kind == kind)
        #expect(error.detail.contains("\(status)"))
    }

    @Test func httpHopGarbageIsAFailure() throws {
        var negotiation = HTTPConnectHopNegotiation(hop: try ProxyURL(parsing: "http://h:1"), host: "d", port: 80)
        _ = negotiation.start()
        guard case .failed(let error) = negotiation.received(ByteBuffer(string: "SSH-2.0-OpenSSH\r\n")) else {
            Issue.record("expected failure"); return
        }
        #expect(error.kind == .other)
    }
}
