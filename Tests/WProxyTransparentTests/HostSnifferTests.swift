import NIOCore
import NIOEmbedded
import Testing

@testable import WProxyTransparent

@Suite struct HostSnifferTests {
    static let httpRequest = Array("GET /index.html HTTP/1.1\r\nUser-Agent: t\r\nHost: Example.TEST:8080\r\n\r\n".utf8)

    @Test func httpHostAllAtOnceAndDripFed() {
        var whole = HostSniffer()
        #expect(whole.feed(ByteBuffer(bytes: Self.httpRequest)) == .host("example.test"))

        var drip = HostSniffer()
        var outcomes: [HostSniffer.Outcome] = []
        for byte in Self.httpRequest { outcomes.append(drip.feed(ByteBuffer(bytes: [byte]))) }
        #expect(outcomes.last == .host("example.test"))
        // Decided as soon as the Host line ended, before the blank line.
        let decidedAt = outcomes.firstIndex(of: .host("example.test"))!
        #expect(decidedAt == Self.httpRequest.count - 3)
    }

    @Test func tlsServerName() {
        let hello = clientHello(serverName: "secure.example.test")
        var sniffer = HostSniffer()
        #expect(sniffer.feed(ByteBuffer(bytes: hello.prefix(20))) == .undecided)
        #expect(sniffer.feed(ByteBuffer(bytes: hello.dropFirst(20))) == .host("secure.example.test"))
    }

    @Test func otherProtocolsAreUnknownAtOnce() {
        var ssh = HostSniffer()
        #expect(ssh.feed(ByteBuffer(string: "SSH-2.0-OpenSSH_9.2\r\n")) == .unknown)
        var binary = HostSniffer()
        #expect(binary.feed(ByteBuffer(bytes: [0x00, 0x01, 0x02])) == .unknown)
    }

    @Test func undecidedUntilTheLimitThenUnknown() {
        var sniffer = HostSniffer(maxBytes: 64)
        #expect(sniffer.feed(ByteBuffer(string: "GET / HTTP/1.1\r\n")) == .undecided)
        #expect(sniffer.feed(ByteBuffer(string: "X-Long: " + String(repeating: "a", count: 60))) == .unknown)
    }

    @Test func endOfInputDecides() {
        var sniffer = HostSniffer()
        sniffer.feed(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        sniffer.endOfInput()
        #expect(sniffer.outcome == .unknown)
    }

    @Test func handlerPassesEveryByteUnchangedAndRemovesItself() throws {
        let channel = EmbeddedChannel()
        let handler = SniffHandler()
        try channel.pipeline.syncOperations.addHandler(handler)
        let parts = [Array(Self.httpRequest.prefix(10)), Array(Self.httpRequest.dropFirst(10)), Array("body".utf8)]
        for part in parts { try channel.writeInbound(ByteBuffer(bytes: part)) }
        var received: [UInt8] = []
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { received += buffer.readableBytesView }
        #expect(received == parts.flatMap { $0 })
        #expect(handler.sniffedHost == "example.test")
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.context(handler: handler) }
        _ = try channel.finish()
    }

    @Test func accessRecordHasTheDocumentedKeys() {
        let record = TransparentAccessRecord(
            client: "10.0.0.2:5000", originalDestination: "10.0.1.2:80", sniffed: nil, route: "direct",
            bytesUp: 3, bytesDown: 4, started: .now(), end: "closed")
        #expect(record.fields().map(\.0) == [
            "time", "mode", "client", "original_dst", "sniffed", "route", "bytes_up", "bytes_down", "duration", "end",
        ])
        #expect(record.fields().first { $0.0 == "sniffed" }?.1 == "-")
        #expect(TransparentAccessRecord.seconds(.milliseconds(1042)) == "1.042")
        #expect(TransparentAccessRecord.seconds(.nanoseconds(4_000_000)) == "0.004")
    }
}

/// A minimal TLS 1.2 ClientHello carrying one server_name.
func clientHello(serverName: String) -> [UInt8] {
    let name = Array(serverName.utf8)
    let serverNameList: [UInt8] = [0x00] + be16(name.count) + name
    let sniExtension: [UInt8] = [0x00, 0x00] + be16(serverNameList.count + 2) + be16(serverNameList.count) + serverNameList
    var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x11, count: 32) + [0x00]  // version, random, session id
    body += be16(2) + [0x00, 0x2F]  // one cipher suite
    body += [0x01, 0x00]  // null compression
    body += be16(sniExtension.count) + sniExtension
    let handshake: [UInt8] = [0x01, 0x00] + be16(body.count) + body
    return [0x16, 0x03, 0x01] + be16(handshake.count) + handshake
}

private func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
