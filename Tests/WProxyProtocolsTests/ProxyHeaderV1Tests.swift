import NIOCore
import Testing
import WProxyProtocols

@Suite struct ProxyHeaderV1Tests {
    static func header(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) throws -> ProxyHeader {
        ProxyHeader(
            source: try SocketAddress(ipAddress: source, port: sourcePort),
            destination: try SocketAddress(ipAddress: destination, port: destinationPort)
        )
    }

    static func written(_ header: ProxyHeader) -> String {
        var buffer = ByteBuffer()
        let count = buffer.writeProxyHeaderV1(header)
        #expect(count == buffer.readableBytes)
        return String(buffer: buffer)
    }

    // MARK: Writing

    @Test func writesTheSpecExampleTCP4() throws {
        let header = try Self.header("192.168.0.1", 56324, "192.168.0.11", 443)
        #expect(Self.written(header) == "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")
    }

    @Test func writesTCP6InCanonicalForm() throws {
        let header = try Self.header("2001:0db8::0001", 1234, "2001:db8:0:0:0:0:0:2", 443)
        #expect(Self.written(header) == "PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n")
    }

    @Test func mixedFamiliesAreWrittenAsTCP6WithMappedIPv4() throws {
        let header = try Self.header("192.0.2.1", 5000, "2001:db8::1", 443)
        #expect(Self.written(header) == "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 5000 443\r\n")
        let reversed = try Self.header("2001:db8::1", 5000, "192.0.2.1", 443)
        #expect(Self.written(reversed) == "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 5000 443\r\n")
    }

    @Test func unknownAddressesAreWrittenAsUNKNOWN() throws {
        #expect(Self.written(.unknown) == "PROXY UNKNOWN\r\n")
        let halfKnown = ProxyHeader(source: try SocketAddress(ipAddress: "192.0.2.1", port: 1), destination: nil)
        #expect(Self.written(halfKnown) == "PROXY UNKNOWN\r\n")
        let unix = ProxyHeader(
            source: try SocketAddress(unixDomainSocketPath: "/tmp/a.sock"),
            destination: try SocketAddress(ipAddress: "192.0.2.1", port: 1)
        )
        #expect(Self.written(unix) == "PROXY UNKNOWN\r\n")
    }

    @Test func writesTheLongestLine() throws {
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let line = Self.written(try Self.header(full, 65535, full, 65535))
        #expect(line.utf8.count == 104)
    }

    // MARK: Reading

    @Test(arguments: [
        ("192.168.0.1", 56324, "192.168.0.11", 443),
        ("0.0.0.0", 0, "255.255.255.255", 65535),
        ("2001:db8::1", 1234, "2001:db8::2", 443),
        ("::1", 1, "::", 2),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
    ] as [(String, Int, String, Int)])
    func roundTrip(_ source: String, _ sourcePort: Int, _ destination: String, _ destinationPort: Int) throws {
        let header = try Self.header(source, sourcePort, destination, destinationPort)
        var buffer = ByteBuffer()
        buffer.writeProxyHeaderV1(header)
        buffer.writeString("GET / HTTP/1.1\r\n")
        #expect(try buffer.readProxyHeaderV1() == header)
        #expect(String(buffer: buffer) == "GET / HTTP/1.1\r\n")
    }

    @Test func mixedFamiliesReadBackAsIPv6() throws {
        var buffer = ByteBuffer()
        buffer.writeProxyHeaderV1(try Self.header("192.0.2.1", 5000, "2001:db8::1", 443))
        #expect(try buffer.readProxyHeaderV1() == Self.header("::ffff:192.0.2.1", 5000, "2001:db8::1", 443))
    }

    @Test func readsUnknownIgnoringTheRestOfTheLine() throws {
        for line in ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n", "PROXY UNKNOWN whatever\r\n"] {
            var buffer = ByteBuffer(string: line + "tail")
            #expect(try buffer.readProxyHeaderV1() == .unknown, "\(line)")
            #expect(String(buffer: buffer) == "tail")
        }
    }

    @Test func dripFed() throws {
        let bytes = Array("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nHELLO".utf8)
        var buffer = ByteBuffer()
        var header: ProxyHeader? = nil
        for byte in bytes {
            buffer.writeInteger(byte)
            if header == nil {
                header = try buffer.readProxyHeaderV1()
                if header == nil {
                    #expect(buffer.readerIndex == 0)
                }
            }
        }
        #expect(header == (try Self.header("192.168.0.1", 56324, "192.168.0.11", 443)))
        #expect(String(buffer: buffer) == "HELLO")
    }

    @Test func everyTruncationNeedsMoreData() throws {
        let line = Array("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ::1 65535 65535\r\n".utf8)
        for length in 0..<line.count {
            var buffer = ByteBuffer(bytes: line.prefix(length))
            #expect(try buffer.readProxyHeaderV1() == nil, "at \(length)")
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test func garbageThrowsOnTheFirstWrongByte() {
        for text in ["G", "GET / HTTP/1.1\r\n", "PROXY\r\n", "proxy TCP4", "PROXYTCP4"] {
            var buffer = ByteBuffer(string: text)
            #expect(throws: ProxyProtocolError.notProxyProtocol, "\(text)") { try buffer.readProxyHeaderV1() }
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test func lineWithoutCRLFWithin107BytesThrows() throws {
        var buffer = ByteBuffer(string: "PROXY TCP4 " + String(repeating: "1", count: 95))
        #expect(buffer.readableBytes == 106)
        #expect(try buffer.readProxyHeaderV1() == nil)
        buffer.writeString("1")
        #expect(throws: ProxyProtocolError.headerTooLong) { try buffer.readProxyHeaderV1() }
        buffer.writeString("\r\n")
        #expect(throws: ProxyProtocolError.headerTooLong) { try buffer.readProxyHeaderV1() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func lineOf107BytesIsAccepted() throws {
        // UNKNOWN lets the sender pad; 105 bytes plus CRLF.
        let line = "PROXY UNKNOWN " + String(repeating: "x", count: 91) + "\r\n"
        #expect(line.utf8.count == 107)
        var buffer = ByteBuffer(string: line)
        #expect(try buffer.readProxyHeaderV1() == .unknown)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", ProxyProtocolError.unsupportedAddressFamily),
        ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", .unsupportedAddressFamily),
        ("PROXY \r\n", .unsupportedAddressFamily),
        ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", .malformedHeader),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", .malformedHeader),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .malformedHeader),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", .malformedHeader),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", .invalidPort),
        ("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", .invalidAddress),
        ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", .invalidAddress),
        ("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", .invalidAddress),
        ("PROXY TCP6 ::1 1.2.3.4 1 2\r\n", .invalidAddress),
        ("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", .invalidAddress),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .invalidPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", .invalidPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n", .invalidPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n", .invalidPort),
    ])
    func malformedLinesThrow(_ line: String, _ error: ProxyProtocolError) {
        var buffer = ByteBuffer(string: line)
        #expect(throws: error, "\(line)") { try buffer.readProxyHeaderV1() }
        #expect(buffer.readerIndex == 0)
    }

    @Test func randomGarbageAfterThePrefixNeverTraps() {
        var generator = SplitMix64(seed: 1)
        let alphabet = Array("PROXY TCP46UNKOW0123456789abcdef:. \r\n".utf8)
        for _ in 0..<3000 {
            let tail = (0..<Int.random(in: 0...120, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            var buffer = ByteBuffer(bytes: Array("PROXY ".utf8) + tail)
            let before = buffer.readerIndex
            if (try? buffer.readProxyHeaderV1()) == nil {
                #expect(buffer.readerIndex == before)
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        var buffer = ByteBuffer(string: "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n")
        do {
            _ = try buffer.readProxyHeaderV1()
            Issue.record("expected a throw")
        } catch {
            #expect(error.description == "invalid port in PROXY protocol header: destination port \"99999\"")
        }
    }
}
