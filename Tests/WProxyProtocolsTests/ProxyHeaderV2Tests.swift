import NIOCore
import Testing
import WProxyProtocols

@Suite struct ProxyHeaderV2Tests {
    static let signature = "0d0a0d0a000d0a515549540a"

    static func header(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) throws -> ProxyHeader {
        try ProxyHeaderV1Tests.header(source, sourcePort, destination, destinationPort)
    }

    static func written(_ header: ProxyHeader) -> ByteBuffer {
        var buffer = ByteBuffer()
        let count = buffer.writeProxyHeaderV2(header)
        #expect(count == buffer.readableBytes)
        return buffer
    }

    // MARK: Writing

    @Test func writesTCP4ExactBytes() throws {
        // What haproxy sends for 172.19.0.1:42578 -> 172.19.0.3:80.
        let header = try Self.header("172.19.0.1", 42578, "172.19.0.3", 80)
        #expect(Self.written(header).hexString == Self.signature + "2111000c" + "ac130001" + "ac130003" + "a652" + "0050")
    }

    @Test func writesTCP6ExactBytes() throws {
        let header = try Self.header("2001:db8::1", 1234, "::1", 443)
        let expected =
            Self.signature + "21210024"
            + "20010db8000000000000000000000001" + "00000000000000000000000000000001" + "04d2" + "01bb"
        #expect(Self.written(header).hexString == expected)
    }

    @Test func mixedFamiliesAreWrittenAsTCP6WithMappedIPv4() throws {
        let header = try Self.header("192.0.2.1", 5000, "2001:db8::1", 443)
        let expected =
            Self.signature + "21210024"
            + "00000000000000000000ffffc0000201" + "20010db8000000000000000000000001" + "1388" + "01bb"
        #expect(Self.written(header).hexString == expected)
    }

    @Test func unknownIsProxyCommandWithUnspecifiedFamily() {
        #expect(Self.written(.unknown).hexString == Self.signature + "21000000")
    }

    // MARK: Reading

    @Test(arguments: [
        ("172.19.0.1", 42578, "172.19.0.3", 80),
        ("0.0.0.0", 0, "255.255.255.255", 65535),
        ("2001:db8::1", 1234, "::1", 443),
        ("fe80::1", 65535, "ff02::2", 0),
    ] as [(String, Int, String, Int)])
    func roundTrip(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) throws {
        let header = try Self.header(source, sourcePort, destination, destinationPort)
        var buffer = Self.written(header)
        buffer.writeString("payload")
        #expect(try buffer.readProxyHeaderV2() == header)
        #expect(String(buffer: buffer) == "payload")
    }

    @Test func unknownRoundTrips() throws {
        var buffer = Self.written(.unknown)
        #expect(try buffer.readProxyHeaderV2() == .unknown)
        #expect(buffer.readableBytes == 0)
    }

    @Test func mixedFamiliesReadBackAsIPv6() throws {
        var buffer = Self.written(try Self.header("192.0.2.1", 5000, "2001:db8::1", 443))
        #expect(try buffer.readProxyHeaderV2() == Self.header("::ffff:192.0.2.1", 5000, "2001:db8::1", 443))
    }

    @Test func tlvsAreSkipped() throws {
        // TCP4 addresses, then ALPN "h2", a NOOP with 3 padding bytes, and an empty unique-id.
        let tlvs = "01000268 32" + "0400 03000000" + "050000"
        let addresses = "c0000201 c0000202 1388 01bb"
        let length = String(format2: 12 + 5 + 6 + 3)
        var buffer = ByteBuffer(hex: Self.signature + "2111" + length + addresses + tlvs + "ff")
        #expect(try buffer.readProxyHeaderV2() == Self.header("192.0.2.1", 5000, "192.0.2.2", 443))
        #expect(buffer.hexString == "ff")
    }

    @Test func malformedTLVThrows() {
        // A TLV claiming 5 bytes with 2 left in the header.
        var buffer = ByteBuffer(hex: Self.signature + "21110010" + "c0000201c0000202138801bb" + "01000568")
        #expect(throws: ProxyProtocolError.malformedHeader) { try buffer.readProxyHeaderV2() }
        #expect(buffer.readerIndex == 0)
        var short = ByteBuffer(hex: Self.signature + "2111000e" + "c0000201c0000202138801bb" + "0100")
        #expect(throws: ProxyProtocolError.malformedHeader) { try short.readProxyHeaderV2() }
    }

    @Test func localCommandDiscardsTheBlockWhateverItHolds() throws {
        // LOCAL with a family byte that a PROXY command may not use, and junk that is not TLVs.
        var buffer = ByteBuffer(hex: Self.signature + "20ff0003" + "010203" + "aa")
        #expect(try buffer.readProxyHeaderV2() == .unknown)
        #expect(buffer.hexString == "aa")
    }

    @Test func datagramAndUnixAddressesAreUnknown() throws {
        var udp = ByteBuffer(hex: Self.signature + "2112000c" + "c0000201c0000202138801bb")
        #expect(try udp.readProxyHeaderV2() == .unknown)
        #expect(udp.readableBytes == 0)

        var unix = ByteBuffer(hex: Self.signature + "213100d8")
        unix.writeRepeatingByte(0x41, count: 216)
        #expect(try unix.readProxyHeaderV2() == .unknown)
        #expect(unix.readableBytes == 0)
    }

    @Test func addressBlockShorterThanTheFamilyNeedsThrows() {
        var buffer = ByteBuffer(hex: Self.signature + "2111000b" + "c0000201c0000202138801")
        #expect(throws: ProxyProtocolError.malformedHeader) { try buffer.readProxyHeaderV2() }
        var v6 = ByteBuffer(hex: Self.signature + "2121000c" + "c0000201c0000202138801bb")
        #expect(throws: ProxyProtocolError.malformedHeader) { try v6.readProxyHeaderV2() }
    }

    @Test func badVersionCommandAndFamilyThrowAsSoonAsSeen() {
        var version = ByteBuffer(hex: Self.signature + "11")
        #expect(throws: ProxyProtocolError.unsupportedVersion) { try version.readProxyHeaderV2() }
        var command = ByteBuffer(hex: Self.signature + "22")
        #expect(throws: ProxyProtocolError.unsupportedCommand) { try command.readProxyHeaderV2() }
        var family = ByteBuffer(hex: Self.signature + "2141")
        #expect(throws: ProxyProtocolError.unsupportedAddressFamily) { try family.readProxyHeaderV2() }
        var transport = ByteBuffer(hex: Self.signature + "2113")
        #expect(throws: ProxyProtocolError.unsupportedAddressFamily) { try transport.readProxyHeaderV2() }
    }

    @Test func oversizedHeaderThrowsFromItsLengthField() throws {
        var buffer = ByteBuffer(hex: Self.signature + "21110ff1")  // 16 + 4081 = 4097 bytes
        #expect(throws: ProxyProtocolError.headerTooLong) { try buffer.readProxyHeaderV2() }
        #expect(buffer.readerIndex == 0)
        var limitOK = ByteBuffer(hex: Self.signature + "21110ff0")  // exactly 4096: just needs more bytes
        #expect(try limitOK.readProxyHeaderV2() == nil)

        var small = Self.written(try! Self.header("2001:db8::1", 1, "2001:db8::2", 2))
        #expect(throws: ProxyProtocolError.headerTooLong) { try small.readProxyHeaderV2(maxLength: 51) }
        #expect(throws: Never.self) { try small.readProxyHeaderV2(maxLength: 52) }
    }

    @Test func dripFed() throws {
        var source = Self.written(try Self.header("2001:db8::1", 1234, "::1", 443))
        source.writeString("next")
        let bytes = Array(source.readableBytesView)
        var buffer = ByteBuffer()
        var header: ProxyHeader? = nil
        for byte in bytes {
            buffer.writeInteger(byte)
            if header == nil {
                header = try buffer.readProxyHeaderV2()
                if header == nil {
                    #expect(buffer.readerIndex == 0)
                }
            }
        }
        #expect(header == (try Self.header("2001:db8::1", 1234, "::1", 443)))
        #expect(String(buffer: buffer) == "next")
    }

    @Test func everyTruncationNeedsMoreData() throws {
        let bytes = Array(Self.written(try Self.header("192.0.2.1", 5000, "2001:db8::1", 443)).readableBytesView)
        for length in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes.prefix(length))
            #expect(try buffer.readProxyHeaderV2() == nil, "at \(length)")
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test func garbageThrowsOnTheFirstWrongByte() {
        for bytes: [UInt8] in [[0x47], Array("GET / HTTP/1.1\r\n".utf8), [0x0D, 0x0A, 0x0D, 0x0A, 0x01], Array("PROXY TCP4".utf8)] {
            var buffer = ByteBuffer(bytes: bytes)
            #expect(throws: ProxyProtocolError.notProxyProtocol) { try buffer.readProxyHeaderV2() }
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test func randomGarbageAfterTheSignatureNeverTraps() {
        var generator = SplitMix64(seed: 2)
        let signature = [UInt8](hex: Self.signature)
        for round in 0..<3000 {
            var bytes = signature + (0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 16, round % 2 == 0 {
                // A plausible version/command and a length that mostly fits.
                bytes[12] = 0x20 | UInt8(round % 4 == 0 ? 1 : 0)
                bytes[14] = 0
                bytes[15] = UInt8(min(bytes.count - 16, 255))
            }
            var buffer = ByteBuffer(bytes: bytes)
            if (try? buffer.readProxyHeaderV2()) == nil {
                #expect(buffer.readerIndex == 0)
            }
        }
    }
}

extension ProxyHeaderV2Tests {
    @Test func autoDetectsEitherVersion() throws {
        let header = try Self.header("192.0.2.1", 5000, "192.0.2.2", 443)
        var v1 = ByteBuffer()
        v1.writeProxyHeaderV1(header)
        #expect(try v1.readProxyHeader() == header)
        var v2 = Self.written(header)
        #expect(try v2.readProxyHeader() == header)

        var empty = ByteBuffer()
        #expect(try empty.readProxyHeader() == nil)
        var partialV1 = ByteBuffer(string: "PRO")
        #expect(try partialV1.readProxyHeader() == nil)
        var partialV2 = ByteBuffer(hex: "0d0a")
        #expect(try partialV2.readProxyHeader() == nil)

        var garbage = ByteBuffer(string: "GET / HTTP/1.1\r\n")
        #expect(throws: ProxyProtocolError.notProxyProtocol) { try garbage.readProxyHeader() }
        var tls = ByteBuffer(bytes: ClientHelloFixtures.opensslWithSNI)
        #expect(throws: ProxyProtocolError.notProxyProtocol) { try tls.readProxyHeader() }
        #expect(tls.readerIndex == 0)
    }

    @Test func autoDetectPassesTheV2Limit() throws {
        var buffer = Self.written(try Self.header("192.0.2.1", 5000, "192.0.2.2", 443))
        #expect(throws: ProxyProtocolError.headerTooLong) { try buffer.readProxyHeader(maxV2Length: 27) }
        #expect(try buffer.readProxyHeader(maxV2Length: 28) != nil)
    }
}

extension String {
    /// A 16-bit value as four hex digits.
    fileprivate init(format2 value: Int) {
        let hex = String(value, radix: 16)
        self = String(repeating: "0", count: 4 - hex.count) + hex
    }
}
