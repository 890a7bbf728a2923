import NIOCore

/// PROXY protocol version 1: one line of US-ASCII text (proxy-protocol.txt §2.1).
extension ByteBuffer {
    /// The longest v1 line a receiver must accept, CRLF included (`PROXY TCP6` with two full IPv6 addresses).
    package static let proxyHeaderV1MaxLength = 107

    static let proxyHeaderV1Prefix: [UInt8] = Array("PROXY ".utf8)

    /// Writes `header` as a v1 line: `PROXY TCP4 …`, `PROXY TCP6 …` or `PROXY UNKNOWN`.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    package mutating func writeProxyHeaderV1(_ header: ProxyHeader) -> Int {
        let line: String
        switch header.endpoints {
        case .unknown:
            line = "PROXY UNKNOWN\r\n"
        case .tcp4(let source, let destination, let sourcePort, let destinationPort):
            line =
                "PROXY TCP4 \(IPAddressText.ipv4Text(source)) \(IPAddressText.ipv4Text(destination)) "
                + "\(sourcePort) \(destinationPort)\r\n"
        case .tcp6(let source, let destination, let sourcePort, let destinationPort):
            line =
                "PROXY TCP6 \(IPAddressText.ipv6Text(source)) \(IPAddressText.ipv6Text(destination)) "
                + "\(sourcePort) \(destinationPort)\r\n"
        }
        assert(line.utf8.count <= Self.proxyHeaderV1MaxLength)
        return self.writeString(line)
    }

    /// Reads a v1 header line.
    ///
    /// - Returns: the header, or nil when the bytes so far are a valid prefix of a line that has
    ///   not ended yet. `PROXY UNKNOWN` (with anything after it) gives ``ProxyHeader/unknown``.
    /// - Throws: ``ProxyProtocolError`` as soon as the bytes cannot be a v1 header, or when no CRLF
    ///   appears within 107 bytes.
    /// The reader index moves past the CRLF on success and stays put on nil or throw.
    package mutating func readProxyHeaderV1() throws(ProxyProtocolError) -> ProxyHeader? {
        let prefix = Self.proxyHeaderV1Prefix
        let available = self.readableBytesView.prefix(Self.proxyHeaderV1MaxLength)
        guard available.prefix(prefix.count).elementsEqual(prefix.prefix(available.count)) else {
            throw .notProxyProtocol.with("does not start with \"PROXY \"")
        }
        guard let newline = available.firstIndex(of: UInt8(ascii: "\n")) else {
            if available.count >= Self.proxyHeaderV1MaxLength {
                throw .headerTooLong.with("no CRLF within \(Self.proxyHeaderV1MaxLength) bytes")
            }
            return nil
        }
        let lineEnd = newline - available.startIndex
        guard lineEnd >= 1, available[newline - 1] == UInt8(ascii: "\r") else {
            throw .malformedHeader.with("line does not end with CRLF")
        }
        let line = Array(available.prefix(lineEnd - 1))
        let header = try Self.parseProxyHeaderV1Line(line)
        self.moveReaderIndex(forwardBy: lineEnd + 1)
        return header
    }

    /// Parses `PROXY <proto> <src> <dst> <sport> <dport>` without its CRLF.
    private static func parseProxyHeaderV1Line(_ line: [UInt8]) throws(ProxyProtocolError) -> ProxyHeader {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0].elementsEqual("PROXY".utf8) else {
            throw .malformedHeader.with("missing protocol field")
        }
        let parseAddress: (ArraySlice<UInt8>) -> [UInt8]?
        switch String(decoding: fields[1], as: UTF8.self) {
        case "UNKNOWN":
            // The spec says the receiver must ignore anything between UNKNOWN and the CRLF.
            return .unknown
        case "TCP4":
            parseAddress = { IPAddressText.ipv4Bytes($0) }
        case "TCP6":
            parseAddress = { IPAddressText.ipv6Bytes($0) }
        default:
            throw .unsupportedAddressFamily.with("protocol \(ProxyProtocolError.quoted(fields[1]))")
        }
        guard fields.count == 6 else {
            throw .malformedHeader.with("expected 6 fields separated by single spaces, got \(fields.count)")
        }
        guard let source = parseAddress(fields[2]) else {
            throw .invalidAddress.with("source \(ProxyProtocolError.quoted(fields[2]))")
        }
        guard let destination = parseAddress(fields[3]) else {
            throw .invalidAddress.with("destination \(ProxyProtocolError.quoted(fields[3]))")
        }
        guard let sourcePort = Self.parsePort(fields[4]) else {
            throw .invalidPort.with("source port \(ProxyProtocolError.quoted(fields[4]))")
        }
        guard let destinationPort = Self.parsePort(fields[5]) else {
            throw .invalidPort.with("destination port \(ProxyProtocolError.quoted(fields[5]))")
        }
        return ProxyHeader(
            packedSource: source, packedDestination: destination,
            sourcePort: sourcePort, destinationPort: destinationPort
        )
    }

    private static func parsePort(_ text: ArraySlice<UInt8>) -> UInt16? {
        guard (1...5).contains(text.count) else { return nil }
        var value = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return UInt16(exactly: value)
    }
}
