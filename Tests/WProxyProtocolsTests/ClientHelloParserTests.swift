import NIOCore
import Testing

@testable import WProxyProtocols

@Suite struct ClientHelloParserTests {
    let parser = ClientHelloParser()

    func peek(_ bytes: some Sequence<UInt8>) throws(ClientHelloError) -> ClientHelloPeekResult {
        try self.parser.peek(ByteBuffer(bytes: bytes))
    }

    // MARK: Real captures

    @Test func realClientHelloAllAtOnce() throws {
        #expect(try self.peek(ClientHelloFixtures.opensslWithSNI) == .serverName("example.test"))
    }

    @Test func realClientHelloWithoutSNI() throws {
        #expect(try self.peek(ClientHelloFixtures.opensslWithoutSNI) == .serverName(nil))
    }

    @Test(arguments: [ClientHelloFixtures.opensslWithSNI, ClientHelloFixtures.opensslWithoutSNI])
    func realClientHelloDripFedNeedsMoreDataAtEveryTruncation(_ hello: [UInt8]) throws {
        // Feeding one byte at a time is peeking at every truncation of the hello.
        var buffer = ByteBuffer()
        for (index, byte) in hello.enumerated() {
            buffer.writeInteger(byte)
            let result = try self.parser.peek(buffer)
            if index < hello.count - 1 {
                #expect(result == .needMoreData, "at \(index + 1) of \(hello.count) bytes")
            } else {
                #expect(result != .needMoreData)
            }
        }
    }

    @Test func bytesAfterTheClientHelloAreIgnored() throws {
        let bytes = ClientHelloFixtures.opensslWithSNI + [0x14, 0x03, 0x03, 0x00, 0x01, 0x01] + Array("junk".utf8)
        #expect(try self.peek(bytes) == .serverName("example.test"))
    }

    @Test func peekDoesNotConsumeOrAlterTheBuffer() throws {
        var buffer = ByteBuffer(bytes: Array("already-read".utf8) + ClientHelloFixtures.opensslWithSNI)
        buffer.moveReaderIndex(forwardBy: 12)
        let before = buffer
        #expect(try self.parser.peek(buffer) == .serverName("example.test"))
        #expect(buffer == before)
        #expect(buffer.readerIndex == 12)
        #expect(Array(buffer.readableBytesView) == ClientHelloFixtures.opensslWithSNI)

        // The reassembly path copies fragments; the caller's bytes must still be untouched.
        let split = ClientHelloBuilder.records(Array(ClientHelloFixtures.opensslWithSNI.dropFirst(5)), splitAt: 50)
        let splitBuffer = ByteBuffer(bytes: split)
        #expect(try self.parser.peek(splitBuffer) == .serverName("example.test"))
        #expect(Array(splitBuffer.readableBytesView) == split)
    }

    // MARK: Hand-built hellos

    @Test func minimalClientHelloWithoutExtensionsBlock() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = nil
        #expect(try self.peek(builder.record) == .serverName(nil))
    }

    @Test func minimalClientHelloWithEmptyExtensionsBlock() throws {
        #expect(try self.peek(ClientHelloBuilder().record) == .serverName(nil))
    }

    @Test func minimalClientHelloWithSNI() throws {
        #expect(try self.peek(ClientHelloBuilder.withServerName("a.example.test").record) == .serverName("a.example.test"))
    }

    @Test func serverNameIsLowercasedAndLosesItsTrailingDot() throws {
        #expect(try self.peek(ClientHelloBuilder.withServerName("WWW.Example.TEST.").record) == .serverName("www.example.test"))
    }

    @Test func serverNameWithUnderscoresDigitsAndHyphensIsAccepted() throws {
        let name = "_acme-challenge.x1-y2.example.test"
        #expect(try self.peek(ClientHelloBuilder.withServerName(name).record) == .serverName(name))
    }

    @Test func sniAmongOtherExtensionsAndAfterSessionID() throws {
        var builder = ClientHelloBuilder()
        builder.sessionID = [UInt8](repeating: 7, count: 32)
        builder.cipherSuites = [0x13, 0x01, 0x13, 0x02, 0xC0, 0x2F]
        builder.extensions = [
            (0x0A0A, []),  // GREASE
            (0x0010, [0x00, 0x03, 0x02, 0x68, 0x32]),  // ALPN "h2"
            (0x0000, ClientHelloBuilder.serverNameExtension([(0, Array("site.test".utf8))])),
            (0x002B, [0x02, 0x03, 0x04]),
        ]
        #expect(try self.peek(builder.record) == .serverName("site.test"))
    }

    @Test func unknownServerNameTypesAreSkipped() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [
            (0, ClientHelloBuilder.serverNameExtension([(7, [1, 2, 3]), (0, Array("b.test".utf8))]))
        ]
        #expect(try self.peek(builder.record) == .serverName("b.test"))
        builder.extensions = [(0, ClientHelloBuilder.serverNameExtension([(7, [1, 2, 3])]))]
        #expect(try self.peek(builder.record) == .serverName(nil))
    }

    @Test(arguments: [[0x03, 0x00], [0x03, 0x01], [0x03, 0x02], [0x03, 0x03], [0x03, 0x04]] as [[UInt8]])
    func acceptedRecordVersions(_ version: [UInt8]) throws {
        let bytes = ClientHelloBuilder.records(ClientHelloBuilder.withServerName("v.test").handshake, version: version)
        #expect(try self.peek(bytes) == .serverName("v.test"))
    }

    // MARK: Fragmentation

    @Test func sniSplitAcrossTwoRecordsAtEveryPoint() throws {
        let handshake = Array(ClientHelloFixtures.opensslWithSNI.dropFirst(5))
        for split in 1..<handshake.count {
            let bytes = ClientHelloBuilder.records(handshake, splitAt: split)
            #expect(try self.peek(bytes) == .serverName("example.test"), "split at \(split)")
            #expect(try self.peek(bytes.dropLast()) == .needMoreData, "split at \(split), truncated")
        }
    }

    @Test func sniSplitAcrossTwoRecordsDripFed() throws {
        let handshake = Array(ClientHelloFixtures.opensslWithSNI.dropFirst(5))
        // Split inside the server_name extension itself.
        let bytes = ClientHelloBuilder.records(handshake, splitAt: 130)
        var buffer = ByteBuffer()
        for (index, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            let expected: ClientHelloPeekResult = index == bytes.count - 1 ? .serverName("example.test") : .needMoreData
            #expect(try self.parser.peek(buffer) == expected, "at \(index + 1) of \(bytes.count)")
        }
    }

    @Test func oneByteRecords() throws {
        let handshake = ClientHelloBuilder.withServerName("tiny.test").handshake
        let bytes = ClientHelloBuilder.records(handshake, fragmentSize: 1)
        #expect(try self.peek(bytes) == .serverName("tiny.test"))
        #expect(try self.peek(bytes.dropLast()) == .needMoreData)
    }

    @Test func nonHandshakeRecordInsideTheClientHelloIsRejected() {
        let handshake = ClientHelloBuilder.withServerName("x.test").handshake
        let first = ClientHelloBuilder.records(Array(handshake.prefix(10)))
        let alert: [UInt8] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]
        #expect(throws: ClientHelloError.malformedClientHello) { try self.peek(first + alert) }
    }

    // MARK: Limits

    @Test func announcedHandshakeBeyondMaxBytesThrowsAtOnce() {
        // Record header plus a handshake header announcing 20000 bytes: nothing more is needed to know.
        let bytes: [UInt8] = [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x4E, 0x20]
        #expect(throws: ClientHelloError.tooLarge) { try self.peek(bytes) }
    }

    @Test func largestHandshakeThatFitsIsAccepted() throws {
        // One full record: 16384 payload bytes = 4 header bytes + 16380 body bytes.
        var builder = ClientHelloBuilder.withServerName("big.test")
        let padding = 16380 - builder.body.count - 4
        builder.extensions?.append((0x0015, [UInt8](repeating: 0, count: padding)))
        #expect(builder.handshake.count == 16384)
        #expect(try self.peek(builder.record) == .serverName("big.test"))

        builder.extensions?[1].data.append(0)
        #expect(throws: ClientHelloError.tooLarge) { try self.peek(builder.record) }
    }

    @Test func fragmentedHelloBeyondMaxBytesThrows() {
        let parser = ClientHelloParser(maxBytes: 100)
        let handshake = ClientHelloBuilder.withServerName("frag.test").handshake  // fits in 100 as one record
        #expect(handshake.count + 5 <= 100)
        #expect(throws: Never.self) { try parser.peek(ByteBuffer(bytes: ClientHelloBuilder.records(handshake))) }
        // In 8-byte records the framing pushes it past 100 bytes.
        let fragmented = ClientHelloBuilder.records(handshake, fragmentSize: 8)
        #expect(throws: ClientHelloError.tooLarge) { try parser.peek(ByteBuffer(bytes: fragmented)) }
    }

    @Test func smallMaxBytesRejectsTheRealHello() {
        let parser = ClientHelloParser(maxBytes: 200)
        #expect(throws: ClientHelloError.tooLarge) {
            try parser.peek(ByteBuffer(bytes: ClientHelloFixtures.opensslWithSNI.prefix(9)))
        }
    }

    @Test func recordLengthsOutsideTLSLimitsThrow() {
        #expect(throws: ClientHelloError.invalidRecordLength) { try self.peek([0x16, 0x03, 0x01, 0x00, 0x00]) }
        #expect(throws: ClientHelloError.invalidRecordLength) { try self.peek([0x16, 0x03, 0x01, 0x40, 0x01]) }
    }

    // MARK: Garbage

    @Test func plainHTTPThrowsOnTheFirstByte() {
        #expect(throws: ClientHelloError.notHandshakeRecord) { try self.peek(Array("G".utf8)) }
        #expect(throws: ClientHelloError.notHandshakeRecord) { try self.peek(Array("GET / HTTP/1.1\r\n\r\n".utf8)) }
    }

    @Test func emptyBufferNeedsMoreData() throws {
        #expect(try self.peek([]) == .needMoreData)
    }

    @Test func badRecordVersionsThrowAsSoonAsSeen() {
        #expect(throws: ClientHelloError.unsupportedRecordVersion) { try self.peek([0x16, 0x02]) }
        #expect(throws: ClientHelloError.unsupportedRecordVersion) { try self.peek([0x16, 0x03, 0x05]) }
        #expect(throws: ClientHelloError.unsupportedRecordVersion) { try self.peek([0x16, 0xFE, 0xFD]) }  // DTLS
    }

    @Test func otherHandshakeTypesThrowBeforeTheRecordCompletes() {
        // A ServerHello (type 2) with only its first payload byte present.
        #expect(throws: ClientHelloError.notClientHello) { try self.peek([0x16, 0x03, 0x03, 0x00, 0x50, 0x02]) }
    }

    @Test func sslv2CompatibleHelloIsNotAHandshakeRecord() {
        #expect(throws: ClientHelloError.notHandshakeRecord) { try self.peek([0x80, 0x2E, 0x01, 0x03, 0x01]) }
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0..<2000 {
            var bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0, bytes.count >= 9 {
                // Get past the record and handshake headers so the body walker sees the garbage.
                let length = bytes.count - 5
                bytes.replaceSubrange(0..<9, with: [0x16, 0x03, 0x01] + ClientHelloBuilder.u16(length) + [0x01, 0x00] + ClientHelloBuilder.u16(length - 4))
            }
            _ = try? self.peek(bytes)
        }
    }

    @Test func everySingleByteCorruptionOfTheRealHelloIsHandled() {
        // Not a proof, but every length and type field gets hit with values that overflow it.
        let hello = ClientHelloFixtures.opensslWithSNI
        for index in hello.indices {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0xFF, hello[index] ^ 0x80] {
                var corrupted = hello
                corrupted[index] = value
                _ = try? self.peek(corrupted)
                _ = try? self.peek(corrupted.prefix(index + 1))
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        do {
            _ = try self.peek(Array("GET /".utf8))
            Issue.record("expected a throw")
        } catch {
            #expect(error == .notHandshakeRecord)
            #expect(error.description == "not a TLS handshake record: content type 71")
        }
    }
}
