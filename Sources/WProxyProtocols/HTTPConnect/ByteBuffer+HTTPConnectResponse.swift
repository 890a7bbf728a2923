import NIOCore

extension ByteBuffer {
    /// The default limit on a CONNECT response head, blank line included.
    package static let httpConnectResponseDefaultMaxHeadBytes = 16384

    /// Reads the head of the proxy's response to CONNECT, through the blank line that ends it.
    ///
    /// Lines end with CRLF or a bare LF. Exactly the head is consumed: bytes after the blank
    /// line stay readable, because after a 2xx they are the first bytes of the tunnel.
    ///
    /// - Parameter maxHeadBytes: the largest head accepted, blank line included; must be positive.
    /// - Returns: the response, or nil when the head has not ended yet.
    /// - Throws: ``HTTPConnectError`` when the status line or a header is malformed (the status
    ///   line as soon as it is complete, or its `HTTP/` prefix as soon as it differs), or when no
    ///   blank line appears within `maxHeadBytes`.
    /// The reader index moves past the head on success and stays put on nil or throw.
    package mutating func readHTTPConnectResponse(
        maxHeadBytes: Int = ByteBuffer.httpConnectResponseDefaultMaxHeadBytes
    ) throws(HTTPConnectError) -> HTTPConnectResponse? {
        precondition(maxHeadBytes > 0, "maxHeadBytes must be positive")
        let window = self.readableBytesView.prefix(maxHeadBytes)
        let versionPrefix = Array("HTTP/".utf8)
        guard window.prefix(versionPrefix.count).elementsEqual(versionPrefix.prefix(window.count)) else {
            throw .malformedStatusLine.with("does not start with \"HTTP/\"")
        }

        // Find where the head ends without copying; parse the status line as soon as it is whole.
        var lines: [Range<Int>] = []  // offsets into `window`, without the line terminator
        var lineStart = 0
        var headLength: Int? = nil
        var offset = 0
        for byte in window {
            defer { offset += 1 }
            guard byte == UInt8(ascii: "\n") else { continue }
            var lineEnd = offset
            if lineEnd > lineStart, window[window.startIndex + lineEnd - 1] == UInt8(ascii: "\r") {
                lineEnd -= 1
            }
            if lineEnd == lineStart {
                guard !lines.isEmpty else { throw .malformedStatusLine.with("empty status line") }
                headLength = offset + 1
                break
            }
            if lines.isEmpty {
                _ = try Self.parseStatusLine(window[(window.startIndex + lineStart)..<(window.startIndex + lineEnd)])
            }
            lines.append(lineStart..<lineEnd)
            lineStart = offset + 1
        }
        guard let headLength else {
            if window.count >= maxHeadBytes {
                throw .headTooLarge.with("no blank line within \(maxHeadBytes) bytes")
            }
            return nil
        }

        let head = Array(window.prefix(headLength))
        let (statusCode, reason) = try Self.parseStatusLine(head[lines[0]])
        var headers: [HTTPConnectResponse.Header] = []
        headers.reserveCapacity(lines.count - 1)
        for range in lines.dropFirst() {
            headers.append(try Self.parseHeaderLine(head[range]))
        }
        self.moveReaderIndex(forwardBy: headLength)
        return HTTPConnectResponse(statusCode: statusCode, reason: reason, headers: headers)
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason-phrase]` (the reason and its space may be missing).
    private static func parseStatusLine<Line: Collection<UInt8>>(
        _ line: Line
    ) throws(HTTPConnectError) -> (statusCode: Int, reason: String) where Line.Index == Int {
        let bytes = Array(line)
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard bytes.count >= 12,
            bytes[0..<7].elementsEqual("HTTP/1.".utf8), digit.contains(bytes[7]),
            bytes[8] == UInt8(ascii: " "),
            bytes[9..<12].allSatisfy(digit.contains),
            bytes.count == 12 || bytes[12] == UInt8(ascii: " ")
        else {
            throw .malformedStatusLine.with(HTTPConnectError.quoted(bytes))
        }
        let statusCode = bytes[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (100...599).contains(statusCode) else {
            throw .malformedStatusLine.with("status \(statusCode)")
        }
        let reason = bytes.dropFirst(13)
        guard reason.allSatisfy(Self.isFieldContentByte) else {
            throw .malformedStatusLine.with("control character in reason phrase")
        }
        return (statusCode, String(decoding: reason, as: UTF8.self))
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5); obsolete line folding is rejected.
    private static func parseHeaderLine(_ line: ArraySlice<UInt8>) throws(HTTPConnectError) -> HTTPConnectResponse.Header {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .malformedHeader.with("no colon in \(HTTPConnectError.quoted(line))")
        }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            throw .malformedHeader.with("bad field name \(HTTPConnectError.quoted(name))")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            value.removeFirst()
        }
        while let last = value.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            value.removeLast()
        }
        guard value.allSatisfy(Self.isFieldContentByte) else {
            throw .malformedHeader.with("control character in the value of \(HTTPConnectError.quoted(name))")
        }
        return HTTPConnectResponse.Header(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        )
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// HTAB, SP, visible ASCII and obs-text: anything but controls and DEL.
    private static func isFieldContentByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\t") || (byte >= 0x20 && byte != 0x7F)
    }
}
