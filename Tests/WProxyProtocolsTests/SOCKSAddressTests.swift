import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct SOCKSAddressTests {
    @Test(arguments: [
        ("127.0.0.1", SOCKSAddress.ipv4(0x7F00_0001)),
        ("0.0.0.0", .ipv4(0)),
        ("255.255.255.255", .ipv4(0xFFFF_FFFF)),
        ("::1", .ipv6(high: 0, low: 1)),
        ("[::1]", .ipv6(high: 0, low: 1)),
        ("::", .ipv6(high: 0, low: 0)),
        ("2001:db8::8:800:200c:417a", .ipv6(high: 0x2001_0db8_0000_0000, low: 0x0008_0800_200c_417a)),
        ("fe80::", .ipv6(high: 0xfe80_0000_0000_0000, low: 0)),
        ("::ffff:1.2.3.4", .ipv6(high: 0, low: 0x0000_ffff_0102_0304)),
        ("1:2:3:4:5:6:7:8", .ipv6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0008)),
        ("example.com", .domain("example.com")),
        ("1.2.3", .domain("1.2.3")),
        ("256.1.1.1", .domain("256.1.1.1")),
        ("1.2.3.4.5", .domain("1.2.3.4.5")),
        ("1::2::3", .domain("1::2::3")),
        ("1:2:3:4:5:6:7:8:9", .domain("1:2:3:4:5:6:7:8:9")),
        ("12345::", .domain("12345::")),
        (":::", .domain(":::")),
        ("g::1", .domain("g::1")),
    ])
    func classifiesHosts(text: String, expected: SOCKSAddress) {
        #expect(SOCKSAddress(host: text) == expected)
    }

    @Test(arguments: [
        (SOCKSAddress.ipv4(0x7F00_0001), "127.0.0.1"),
        (.ipv6(high: 0, low: 1), "::1"),
        (.ipv6(high: 0, low: 0), "::"),
        (.ipv6(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0001), "2001:db8::1"),
        (.ipv6(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0000_0001), "2001:db8:0:1::1"),
        (.ipv6(high: 0x0001_0000_0002_0003, low: 0x0004_0005_0006_0007), "1:0:2:3:4:5:6:7"),
        (.domain("example.com"), "example.com"),
    ])
    func formatsHosts(address: SOCKSAddress, expected: String) {
        #expect(address.description == expected)
        #expect(SOCKSAddress(host: expected) == address)
    }

    @Test func targetDescriptionBracketsIPv6() {
        #expect(SOCKSTarget(host: .ipv6(high: 0, low: 1), port: 443).description == "[::1]:443")
        #expect(SOCKSTarget(host: .ipv4(0x0A00_0001), port: 80).description == "10.0.0.1:80")
    }

    @Test func convertsToAndFromSocketAddress() throws {
        let v4 = try SocketAddress(ipAddress: "192.168.1.2", port: 1080)
        let target4 = try #require(SOCKSTarget(v4))
        #expect(target4 == SOCKSTarget(host: .ipv4(0xC0A8_0102), port: 1080))
        #expect(target4.socketAddress == v4)

        let v6 = try SocketAddress(ipAddress: "2001:db8::5", port: 65535)
        let target6 = try #require(SOCKSTarget(v6))
        #expect(target6 == SOCKSTarget(host: .ipv6(high: 0x2001_0db8_0000_0000, low: 5), port: 65535))
        #expect(target6.socketAddress == v6)

        #expect(SOCKSTarget(host: .domain("example.com"), port: 80).socketAddress == nil)
        #expect(SOCKSTarget(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")) == nil)
    }

    @Test func packedBytes() {
        #expect(SOCKSAddress.ipv4(0x0102_0304).packedBytes == [1, 2, 3, 4])
        #expect(SOCKSAddress.ipv6(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10).packedBytes == Array(1...16))
        #expect(
            SOCKSAddress(ipv6Bytes: Array(1...16)) == .ipv6(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
        )
        #expect(SOCKSAddress(ipv6Bytes: [1, 2, 3]) == nil)
        #expect(SOCKSAddress.domain("x").packedBytes == nil)
    }

    // MARK: - Wire form

    @Test func ipv4TargetCodec() throws {
        try checkCodec(
            SOCKSTarget(host: .ipv4(0x7F00_0001), port: 8080),
            bytes: [1, 127, 0, 0, 1, 0x1F, 0x90],
            write: { $0.writeSOCKS5Target($1) },
            read: { try $0.readSOCKS5Target() }
        )
    }

    @Test func ipv6TargetCodec() throws {
        try checkCodec(
            SOCKSTarget(host: .ipv6(high: 0x2001_0db8_0000_0000, low: 1), port: 443),
            bytes: [4, 0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1, 0x01, 0xBB],
            write: { $0.writeSOCKS5Target($1) },
            read: { try $0.readSOCKS5Target() }
        )
    }

    @Test func domainTargetCodec() throws {
        try checkCodec(
            SOCKSTarget(host: .domain("example.com"), port: 80),
            bytes: [3, 11] + Array("example.com".utf8) + [0, 80],
            write: { $0.writeSOCKS5Target($1) },
            read: { try $0.readSOCKS5Target() }
        )
    }

    @Test func longestDomainRoundTrips() throws {
        let name = String(repeating: "a", count: 255)
        try checkCodec(
            SOCKSTarget(host: .domain(name), port: 1),
            bytes: [3, 255] + Array(name.utf8) + [0, 1],
            write: { $0.writeSOCKS5Target($1) },
            read: { try $0.readSOCKS5Target() }
        )
        #expect(SOCKSTarget(host: .domain(name), port: 1).isEncodableInSOCKS5)
        #expect(!SOCKSTarget(host: .domain(name + "a"), port: 1).isEncodableInSOCKS5)
        #expect(!SOCKSTarget(host: .domain(""), port: 1).isEncodableInSOCKS5)
    }

    @Test func rejectsBadTargets() {
        let read: (inout ByteBuffer) throws -> SOCKSTarget? = { try $0.readSOCKS5Target() }
        checkRejects([0x05, 1, 2, 3, 4, 0, 80], .unsupportedAddressType(5), read: read)
        checkRejects([0x00], .unsupportedAddressType(0), read: read)
        checkRejects([0x03, 0, 0, 80], .emptyDomain, read: read)
        checkRejects([0x03, 0], .emptyDomain, read: read)
        checkRejects([0x03, 3, 0x61, 0x00, 0x62, 0, 80], .invalidDomain, read: read)
        checkRejects([0x03, 2, 0xC3, 0x28, 0, 80], .invalidDomain, read: read)
    }
}
