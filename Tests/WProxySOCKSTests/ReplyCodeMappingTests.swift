import NIOCore
import Testing
import WProxyDialer
import WProxyProtocols
import WProxySOCKS

@Suite struct ReplyCodeMappingTests {
    @Test(arguments: [
        (DialError.Kind.networkUnreachable, UInt8(0x03)), (.dnsFailure, 0x04), (.hostUnreachable, 0x04),
        (.refused, 0x05), (.timedOut, 0x06), (.other, 0x01),
    ])
    func dialErrorKinds(kind: DialError.Kind, code: UInt8) {
        let error = DialError(kind: kind, target: "example.test:80", detail: "")
        #expect(SOCKS5ReplyCode(dialError: error).rawValue == code)
        #expect(SOCKS5ReplyCode(failure: error).rawValue == code)
    }

    /// The connect-timeout path end to end through the Dialer's classification: NIO reports a timed-out
    /// connect as `ChannelError.connectTimeout` (single address) or inside `NIOConnectionError`.
    @Test func connectTimeoutBecomesReply06() {
        let single = DialError(target: "192.0.2.1:80", classifying: ChannelError.connectTimeout(.milliseconds(300)))
        #expect(SOCKS5ReplyCode(failure: single) == .ttlExpired)
        let errno = DialError(target: "192.0.2.1:80", classifying: IOError(errnoCode: 110, reason: "connect"))  // ETIMEDOUT
        #expect(SOCKS5ReplyCode(failure: errno) == .ttlExpired)
    }

    @Test func errnoClassification() {
        let cases: [(Int32, UInt8)] = [(111, 0x05), (101, 0x03), (113, 0x04), (1, 0x01)]  // ECONNREFUSED ENETUNREACH EHOSTUNREACH EPERM
        for (code, reply) in cases {
            let error = DialError(target: "x:1", classifying: IOError(errnoCode: code, reason: "connect"))
            #expect(SOCKS5ReplyCode(failure: error).rawValue == reply, "errno \(code)")
        }
    }

    @Test func anythingElseIsGeneralFailure() {
        struct Odd: Error {}
        #expect(SOCKS5ReplyCode(failure: Odd()) == .generalFailure)
    }
}
