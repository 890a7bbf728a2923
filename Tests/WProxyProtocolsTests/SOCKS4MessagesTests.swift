import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct SOCKS4MessagesTests {
    @Test func socks4RequestCodec() throws {
        try checkCodec(
            SOCKS4Request(command: .connect, target: SOCKSTarget(host: .ipv4(0x7F00_0001), port: 80), userID: "bob"),
            bytes: [4, 1, 0, 80, 127, 0, 0, 1, 0x62, 0x6F, 0x62, 0],
            write: { $0.writeSOCKS4Request($1) },
            read: { try $0.readSOCKS4Request() }
        )
        try checkCodec(
            SOCKS4Request(command: .bind, target: SOCKSTarget(host: .ipv4(0x0A00_0002), port: 2121)),
            bytes: [4, 2, 0x08, 0x49, 10, 0, 0, 2, 0],
            write: { $0.writeSOCKS4Request($1) },
            read: { try $0.readSOCKS4Request() }
        )
    }

    @Test func socks4aRequestCodec() throws {
        try checkCodec(
            SOCKS4Request(command: .connect, target: SOCKSTarget(host: .domain("ex.com"), port: 443), userID: "u"),
            bytes: [4, 1, 1, 0xBB, 0, 0, 0, 1, 0x75, 0] + Array("ex.com".utf8) + [0],
            write: { $0.writeSOCKS4Request($1) },
            read: { try $0.readSOCKS4Request() }
        )
    }

    @Test func anyMarkerFrom1To255MeansSOCKS4a() throws {
        var buffer = ByteBuffer(bytes: [4, 1, 0, 80, 0, 0, 0, 0xFF, 0, 0x61, 0])
        #expect(try buffer.readSOCKS4Request()?.target.host == .domain("a"))
        var zero = ByteBuffer(bytes: [4, 1, 0, 80, 0, 0, 0, 0, 0])
        #expect(try zero.readSOCKS4Request()?.target.host == .ipv4(0), "0.0.0.0 is a plain address")
        var notMarker = ByteBuffer(bytes: [4, 1, 0, 80, 0, 0, 1, 0, 0])
        #expect(try notMarker.readSOCKS4Request()?.target.host == .ipv4(0x100))
    }

    @Test func longestFieldsRoundTrip() throws {
        let user = String(repeating: "u", count: SOCKS4Request.maxFieldLength)
        let host = String(repeating: "h", count: SOCKS4Request.maxFieldLength)
        try checkCodec(
            SOCKS4Request(command: .connect, target: SOCKSTarget(host: .domain(host), port: 1), userID: user),
            bytes: [4, 1, 0, 1, 0, 0, 0, 1] + Array(user.utf8) + [0] + Array(host.utf8) + [0],
            write: { $0.writeSOCKS4Request($1) },
            read: { try $0.readSOCKS4Request() }
        )
    }

    @Test func unknownCommandStillParses() throws {
        var buffer = ByteBuffer(bytes: [4, 3, 0, 80, 1, 2, 3, 4, 0])
        #expect(try buffer.readSOCKS4Request()?.command == .udpAssociate)
        var other = ByteBuffer(bytes: [4, 0x10, 0, 80, 1, 2, 3, 4, 0])
        #expect(try other.readSOCKS4Request()?.command == .other(0x10))
    }

    @Test func ipv6TargetIsWrittenAsSOCKS4aText() throws {
        var buffer = ByteBuffer()
        buffer.writeSOCKS4Request(
            SOCKS4Request(command: .connect, target: SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 22))
        )
        #expect(buffer.bytes == [4, 1, 0, 22, 0, 0, 0, 1, 0, 0x3A, 0x3A, 0x31, 0])
        #expect(try buffer.readSOCKS4Request()?.target.host == .domain("::1"))
    }

    @Test func oversizedFieldsAreRejected() throws {
        let read: (inout ByteBuffer) throws -> SOCKS4Request? = { try $0.readSOCKS4Request() }
        let tooLong = [UInt8](repeating: 0x61, count: SOCKS4Request.maxFieldLength + 1)
        // An over-long USERID is refused as soon as it is seen, NUL or not.
        checkRejects([4, 1, 0, 80, 1, 2, 3, 4] + tooLong, .fieldTooLong, read: read)
        checkRejects([4, 1, 0, 80, 1, 2, 3, 4] + tooLong + [0], .fieldTooLong, read: read)
        checkRejects([4, 1, 0, 80, 0, 0, 0, 1, 0] + tooLong, .fieldTooLong, read: read)
        // One byte short of the cap with no NUL yet is still "need more".
        var pending = ByteBuffer(bytes: [4, 1, 0, 80, 1, 2, 3, 4] + tooLong.dropLast())
        #expect(try pending.readSOCKS4Request() == nil)
    }

    @Test func garbage() {
        let read: (inout ByteBuffer) throws -> SOCKS4Request? = { try $0.readSOCKS4Request() }
        checkRejects([5, 1, 0, 80, 1, 2, 3, 4, 0], .invalidVersion(5), read: read)
        checkRejects([4, 1, 0, 80, 0, 0, 0, 1, 0, 0], .emptyDomain, read: read)
        checkRejects([4, 1, 0, 80, 0, 0, 0, 1, 0, 0xC3, 0x28, 0], .invalidDomain, read: read)
    }

    @Test func replyCodec() throws {
        try checkCodec(
            SOCKS4Reply(code: .granted, port: 0x1234, ipv4: 0x0102_0304),
            bytes: [0, 0x5A, 0x12, 0x34, 1, 2, 3, 4],
            write: { $0.writeSOCKS4Reply($1) },
            read: { try $0.readSOCKS4Reply() }
        )
        try checkCodec(
            SOCKS4Reply(code: .rejected),
            bytes: [0, 0x5B, 0, 0, 0, 0, 0, 0],
            write: { $0.writeSOCKS4Reply($1) },
            read: { try $0.readSOCKS4Reply() }
        )
        checkRejects([4, 0x5A, 0, 0, 0, 0, 0, 0], .invalidVersion(4), read: { try $0.readSOCKS4Reply() })
    }

    @Test func replyCodes() {
        let codes: [SOCKS4ReplyCode] = [.granted, .rejected, .identdUnreachable, .identdMismatch]
        #expect(codes.map(\.rawValue) == [0x5A, 0x5B, 0x5C, 0x5D])
        for raw in UInt8(0)...UInt8(255) {
            #expect(SOCKS4ReplyCode(rawValue: raw).rawValue == raw)
        }
        #expect(
            SOCKS4Reply(code: .granted, bound: SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 9))
                == SOCKS4Reply(code: .granted, port: 9, ipv4: 0)
        )
    }
}
