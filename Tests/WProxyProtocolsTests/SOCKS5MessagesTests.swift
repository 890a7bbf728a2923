import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct SOCKS5MessagesTests {
    // MARK: - Greeting

    @Test func greetingCodec() throws {
        try checkCodec(
            SOCKS5Greeting(methods: [.noAuthenticationRequired, .usernamePassword]),
            bytes: [5, 2, 0, 2],
            write: { $0.writeSOCKS5Greeting($1) },
            read: { try $0.readSOCKS5Greeting() }
        )
    }

    @Test func greetingWith255MethodsRoundTrips() throws {
        let methods = (0..<255).map { SOCKS5AuthMethod(rawValue: UInt8($0)) }
        try checkCodec(
            SOCKS5Greeting(methods: methods),
            bytes: [5, 255] + (0..<255).map { UInt8($0) },
            write: { $0.writeSOCKS5Greeting($1) },
            read: { try $0.readSOCKS5Greeting() }
        )
    }

    @Test func greetingGarbage() {
        let read: (inout ByteBuffer) throws -> SOCKS5Greeting? = { try $0.readSOCKS5Greeting() }
        checkRejects([5, 0], .noMethods, read: read)
        checkRejects([4, 1, 0], .invalidVersion(4), read: read)
        checkRejects([0x47, 0x45, 0x54], .invalidVersion(0x47), read: read)
    }

    // MARK: - Method selection

    @Test func methodSelectionCodec() throws {
        for method in [SOCKS5AuthMethod.noAuthenticationRequired, .usernamePassword, .noAcceptableMethods] {
            try checkCodec(
                SOCKS5MethodSelection(method: method),
                bytes: [5, method.rawValue],
                write: { $0.writeSOCKS5MethodSelection($1) },
                read: { try $0.readSOCKS5MethodSelection() }
            )
        }
        checkRejects([1, 0], .invalidVersion(1), read: { try $0.readSOCKS5MethodSelection() })
    }

    // MARK: - Request

    @Test func requestCodec() throws {
        try checkCodec(
            SOCKS5Request(command: .connect, target: SOCKSTarget(host: .domain("a.io"), port: 443)),
            bytes: [5, 1, 0, 3, 4, 0x61, 0x2E, 0x69, 0x6F, 0x01, 0xBB],
            write: { $0.writeSOCKS5Request($1) },
            read: { try $0.readSOCKS5Request() }
        )
        try checkCodec(
            SOCKS5Request(command: .bind, target: SOCKSTarget(host: .ipv4(0x0A00_0001), port: 21)),
            bytes: [5, 2, 0, 1, 10, 0, 0, 1, 0, 21],
            write: { $0.writeSOCKS5Request($1) },
            read: { try $0.readSOCKS5Request() }
        )
        try checkCodec(
            SOCKS5Request(command: .udpAssociate, target: SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 53)),
            bytes: [5, 3, 0, 4] + Array(repeating: 0, count: 15) + [1, 0, 53],
            write: { $0.writeSOCKS5Request($1) },
            read: { try $0.readSOCKS5Request() }
        )
    }

    @Test func unknownCommandStillParses() throws {
        try checkCodec(
            SOCKS5Request(command: .other(0x09), target: SOCKSTarget(host: .ipv4(1), port: 1)),
            bytes: [5, 9, 0, 1, 0, 0, 0, 1, 0, 1],
            write: { $0.writeSOCKS5Request($1) },
            read: { try $0.readSOCKS5Request() }
        )
        #expect(SOCKSCommand(rawValue: 9) == .other(9))
        #expect(SOCKSCommand(rawValue: 3) == .udpAssociate)
    }

    @Test func reservedByteIsIgnored() throws {
        var buffer = ByteBuffer(bytes: [5, 1, 0x7F, 1, 1, 2, 3, 4, 0, 80])
        #expect(
            try buffer.readSOCKS5Request()
                == SOCKS5Request(command: .connect, target: SOCKSTarget(host: .ipv4(0x0102_0304), port: 80))
        )
    }

    @Test func requestGarbage() {
        let read: (inout ByteBuffer) throws -> SOCKS5Request? = { try $0.readSOCKS5Request() }
        checkRejects([4, 1, 0, 1, 1, 2, 3, 4, 0, 80], .invalidVersion(4), read: read)
        checkRejects([5, 1, 0, 2, 1, 2, 3, 4, 0, 80], .unsupportedAddressType(2), read: read)
        checkRejects([5, 1, 0, 0xFF], .unsupportedAddressType(0xFF), read: read)
        checkRejects([5, 1, 0, 3, 0, 0, 80], .emptyDomain, read: read)
    }

    // MARK: - Reply

    @Test func replyCodec() throws {
        try checkCodec(
            SOCKS5Reply(code: .succeeded, bound: SOCKSTarget(host: .ipv4(0xC0A8_0001), port: 40000)),
            bytes: [5, 0, 0, 1, 192, 168, 0, 1, 0x9C, 0x40],
            write: { $0.writeSOCKS5Reply($1) },
            read: { try $0.readSOCKS5Reply() }
        )
        try checkCodec(
            SOCKS5Reply(code: .connectionRefused),
            bytes: [5, 5, 0, 1, 0, 0, 0, 0, 0, 0],
            write: { $0.writeSOCKS5Reply($1) },
            read: { try $0.readSOCKS5Reply() }
        )
        try checkCodec(
            SOCKS5Reply(code: .unassigned(0x42), bound: SOCKSTarget(host: .domain("h"), port: 7)),
            bytes: [5, 0x42, 0, 3, 1, 0x68, 0, 7],
            write: { $0.writeSOCKS5Reply($1) },
            read: { try $0.readSOCKS5Reply() }
        )
        checkRejects([0, 0x5A, 0, 0, 0, 0, 0, 0], .invalidVersion(0), read: { try $0.readSOCKS5Reply() })
        checkRejects([5, 0, 0, 7], .unsupportedAddressType(7), read: { try $0.readSOCKS5Reply() })
    }

    @Test func replyCodesMatchRFC1928() {
        let codes: [SOCKS5ReplyCode] = [
            .succeeded, .generalFailure, .notAllowedByRuleset, .networkUnreachable, .hostUnreachable,
            .connectionRefused, .ttlExpired, .commandNotSupported, .addressTypeNotSupported,
        ]
        #expect(codes.map(\.rawValue) == Array(0...8))
        for raw in UInt8(0)...UInt8(255) {
            #expect(SOCKS5ReplyCode(rawValue: raw).rawValue == raw)
        }
        #expect(SOCKS5ReplyCode(rawValue: 9) == .unassigned(9))
    }

    // MARK: - RFC 1929

    @Test func usernamePasswordCodec() throws {
        try checkCodec(
            SOCKS5UsernamePasswordRequest(username: "alice", password: "s3cret"),
            bytes: [1, 5] + Array("alice".utf8) + [6] + Array("s3cret".utf8),
            write: { $0.writeSOCKS5UsernamePasswordRequest($1) },
            read: { try $0.readSOCKS5UsernamePasswordRequest() }
        )
    }

    /// PLEN 0 is accepted on purpose (see the type's documentation).
    @Test func emptyPasswordIsAllowed() throws {
        try checkCodec(
            SOCKS5UsernamePasswordRequest(username: "bob", password: ""),
            bytes: [1, 3, 0x62, 0x6F, 0x62, 0],
            write: { $0.writeSOCKS5UsernamePasswordRequest($1) },
            read: { try $0.readSOCKS5UsernamePasswordRequest() }
        )
    }

    @Test func longestCredentialsRoundTrip() throws {
        let user = String(repeating: "u", count: 255)
        let pass = String(repeating: "p", count: 255)
        let request = SOCKS5UsernamePasswordRequest(username: user, password: pass)
        #expect(request.isEncodable)
        try checkCodec(
            request,
            bytes: [1, 255] + Array(user.utf8) + [255] + Array(pass.utf8),
            write: { $0.writeSOCKS5UsernamePasswordRequest($1) },
            read: { try $0.readSOCKS5UsernamePasswordRequest() }
        )
        #expect(!SOCKS5UsernamePasswordRequest(username: user + "u", password: "").isEncodable)
        #expect(!SOCKS5UsernamePasswordRequest(username: "", password: "x").isEncodable)
    }

    @Test func usernamePasswordGarbage() {
        let read: (inout ByteBuffer) throws -> SOCKS5UsernamePasswordRequest? = {
            try $0.readSOCKS5UsernamePasswordRequest()
        }
        checkRejects([1, 0, 1, 0x70], .emptyUsername, read: read)
        checkRejects([5, 1, 0x75, 1, 0x70], .invalidVersion(5), read: read)
        checkRejects([1, 1, 0xFF, 1, 0x70], .invalidCredentialEncoding, read: read)
        checkRejects([1, 1, 0x75, 1, 0xC3], .invalidCredentialEncoding, read: read)
    }

    @Test func statusCodec() throws {
        try checkCodec(
            SOCKS5UsernamePasswordStatus.success,
            bytes: [1, 0],
            write: { $0.writeSOCKS5UsernamePasswordStatus($1) },
            read: { try $0.readSOCKS5UsernamePasswordStatus() }
        )
        try checkCodec(
            SOCKS5UsernamePasswordStatus.failure,
            bytes: [1, 1],
            write: { $0.writeSOCKS5UsernamePasswordStatus($1) },
            read: { try $0.readSOCKS5UsernamePasswordStatus() }
        )
        #expect(SOCKS5UsernamePasswordStatus.success.succeeded)
        #expect(!SOCKS5UsernamePasswordStatus(status: 0x7F).succeeded)
        checkRejects([5, 0], .invalidVersion(5), read: { try $0.readSOCKS5UsernamePasswordStatus() })
    }
}
