import NIOCore

/// Finds the `Host` of an HTTP/1.x request in the first bytes a client sends, without consuming them.
///
/// `wproxy transparent --sniff` names the host of plain-HTTP connections in the access log while
/// every byte passes through unchanged, so ``peek(_:)`` only reads the buffer it is given (the
/// caller's reader index never moves). Call it again with the accumulated bytes as more arrive.
///
/// Guarantees:
/// - A strict prefix of a request head that has no `Host` line yet yields
///   ``HTTPHostPeekResult/needMoreData``, never an error.
/// - Bytes that cannot start a request throw as early as they show it: a TLS record (first byte
///   0x16) after one byte, a method longer than 32 characters or a control byte in the request
///   line as soon as it arrives.
/// - The answer comes as soon as the `Host` line is complete; the rest of the head is not needed.
/// - Work is bounded by `maxBytes`; nothing a peer sends can trap.
package struct HTTPHostParser: Hashable, Sendable {
    package static let defaultMaxBytes = 8 * 1024
    static let maxMethodLength = 32
    static let maxHostLength = 253

    /// The most bytes this parser looks at before giving up.
    package let maxBytes: Int

    package init(maxBytes: Int = HTTPHostParser.defaultMaxBytes) {
        precondition(maxBytes > 0, "HTTPHostParser.maxBytes must be positive")
        self.maxBytes = maxBytes
    }

    /// - Returns: ``HTTPHostPeekResult/needMoreData`` for a valid prefix, otherwise the host.
    /// - Throws: ``HTTPHostError`` when the bytes are not, and cannot become, a request head with a usable host.
    package func peek(_ buffer: ByteBuffer) throws(HTTPHostError) -> HTTPHostPeekResult {
        let bytes = buffer.readableBytesView
        let limit = bytes.startIndex + min(bytes.count, self.maxBytes)
        var lineStart = bytes.startIndex
        var isRequestLine = true
        while true {
            guard let newline = bytes[lineStart..<limit].firstIndex(of: UInt8(ascii: "\n")) else {
                if isRequestLine { try Self.checkRequestLinePrefix(bytes[lineStart..<limit]) }
                if bytes.count >= self.maxBytes {
                    throw .tooLarge.with("no Host within \(self.maxBytes) bytes")
                }
                return .needMoreData
            }
            var line = bytes[lineStart..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lineStart = newline + 1
            if isRequestLine {
                try Self.checkRequestLine(line)
                isRequestLine = false
                continue
            }
            if line.isEmpty { return .host(nil) }
            // obs-fold continuation of the previous field (RFC 9112 5.2): not a new field.
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(Self.isTokenByte)
            else {
                throw .malformedHeader.with("no field name")
            }
            guard Self.equalsIgnoringCase(line[line.startIndex..<colon], "host") else { continue }
            return .host(try Self.parseHost(line[(colon + 1)...]))
        }
    }

    /// `METHOD SP TARGET SP HTTP/x.y`, checked loosely: enough to tell HTTP from everything else.
    private static func checkRequestLine(_ line: ByteBufferView.SubSequence) throws(HTTPHostError) {
        try checkRequestLinePrefix(line)
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty else {
            throw .notHTTP.with("request line is not METHOD TARGET VERSION")
        }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)),
            isDigit(version[5]), version[6] == UInt8(ascii: "."), isDigit(version[7])
        else {
            throw .notHTTP.with("no HTTP/x.y version")
        }
    }

    /// What can be checked before the request line is complete.
    private static func checkRequestLinePrefix(_ prefix: ByteBufferView.SubSequence) throws(HTTPHostError) {
        guard let first = prefix.first else { return }
        guard first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z") else {
            throw .notHTTP.with("first byte \(first)")
        }
        let methodEnd = prefix.firstIndex(of: UInt8(ascii: " ")) ?? prefix.endIndex
        guard methodEnd - prefix.startIndex <= maxMethodLength else { throw .notHTTP.with("method too long") }
        guard prefix[prefix.startIndex..<methodEnd].allSatisfy(isTokenByte) else {
            throw .notHTTP.with("method is not a token")
        }
        guard !prefix.contains(where: { $0 < 0x20 && $0 != UInt8(ascii: "\r") || $0 == 0x7F }) else {
            throw .notHTTP.with("control byte in the request line")
        }
    }

    /// `host[:port]`, `[v6]:port`, optional whitespace around; nil for an empty value.
    private static func parseHost(_ raw: ByteBufferView.SubSequence) throws(HTTPHostError) -> String? {
        var value = raw
        while let first = value.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { value = value.dropFirst() }
        while let last = value.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { value = value.dropLast() }
        if value.isEmpty { return nil }
        var host: ByteBufferView.SubSequence
        var portPart: ByteBufferView.SubSequence
        if value.first == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")) else { throw .invalidHost.with("no closing ]") }
            host = value[(value.startIndex + 1)..<close]
            portPart = value[(close + 1)...]
            guard !host.isEmpty, host.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else {
                throw .invalidHost.with("bad IPv6 literal")
            }
        } else {
            let colon = value.firstIndex(of: UInt8(ascii: ":"))
            host = value[value.startIndex..<(colon ?? value.endIndex)]
            portPart = colon.map { value[$0...] } ?? value[value.endIndex...]
            if host.last == UInt8(ascii: ".") { host = host.dropLast() }
            guard !host.isEmpty, host.allSatisfy(isHostNameByte) else { throw .invalidHost.with("bad host name") }
        }
        if !portPart.isEmpty {
            let digits = portPart.dropFirst()
            guard portPart.first == UInt8(ascii: ":"), digits.count <= 5, digits.allSatisfy(isDigit) else {
                throw .invalidHost.with("bad port")
            }
        }
        guard host.count <= maxHostLength else { throw .invalidHost.with("host longer than \(maxHostLength)") }
        return String(decoding: host.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func equalsIgnoringCase(_ bytes: ByteBufferView.SubSequence, _ lowercase: String) -> Bool {
        bytes.count == lowercase.utf8.count
            && zip(bytes, lowercase.utf8).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        if isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
