import NIOCore
import NIOHTTP1

/// A client's request head as received, with the ranges of its parts. Strings are made only when
/// someone asks (the URI for the log, a header for `--hash-key`); forwarding copies byte ranges.
package struct RawRequestHead: Sendable {
    /// The head, from the request line through the empty line.
    package var bytes: ByteBuffer
    package var method: HTTPMethod
    package var versionMinor: Int
    /// The request-target, relative to `bytes`.
    package var target: Range<Int>
    package var fields: [RawResponseHead.Field]

    package var version: HTTPVersion { versionMinor == 0 ? .http1_0 : .http1_1 }

    /// No request: an empty head without a buffer of its own (what an idle connection holds).
    package static let none = RawRequestHead(bytes: ByteBuffer(), method: .GET, versionMinor: 1, target: 0..<0, fields: [])

    package var uri: String {
        String(decoding: bytes.readableBytesView[target], as: UTF8.self)
    }

    package func name(_ field: RawResponseHead.Field) -> ByteBufferView { bytes.readableBytesView[field.nameStart..<field.nameEnd] }
    package func value(_ field: RawResponseHead.Field) -> ByteBufferView { bytes.readableBytesView[field.valueStart..<field.valueEnd] }

    package func valueString(_ field: RawResponseHead.Field) -> String {
        String(decoding: value(field), as: UTF8.self)
    }

    /// Every value of the header `name` (any case), in order.
    package func values(_ name: String) -> [String] {
        let lowered = Array(name.lowercased().utf8)
        return fields.filter { field in
            let candidate = self.name(field)
            guard candidate.count == lowered.count else { return false }
            return zip(candidate, lowered).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
        }.map(valueString)
    }

    /// The first value of the header `name` (any case).
    package func value(_ name: String) -> String? {
        values(name).first
    }

    /// The first value of the header `lowercasedName` (any case), found on bytes: one string, for the value.
    package func firstValue(_ lowercasedName: StaticString) -> String? {
        for field in fields where bytesEqualIgnoringCase(name(field), lowercasedName) {
            return valueString(field)
        }
        return nil
    }

    /// True when the request-target starts with `/` (origin-form).
    package var isOriginForm: Bool {
        bytes.getInteger(at: bytes.readerIndex + target.lowerBound, as: UInt8.self) == UInt8(ascii: "/")
    }

    /// The whole head as NIO's type, for code that wants one (static files, tests).
    package var httpHead: HTTPRequestHead {
        var headers = HTTPHeaders()
        for field in fields {
            headers.add(name: String(decoding: name(field), as: UTF8.self), value: valueString(field))
        }
        return HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
    }
}

/// Why a request head was refused: the status to answer and a short reason.
package struct RequestHeadError: Error, Hashable, CustomStringConvertible {
    package let status: HTTPResponseStatus
    package let reason: String
    package init(_ status: HTTPResponseStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }
    package var description: String { reason }
}

extension ByteBuffer {
    /// Reads one request head (strict HTTP/1.0 and 1.1, origin-form or any visible target).
    /// - Returns: nil while the empty line has not arrived (nothing is consumed).
    /// - Throws: 400 for malformed input (bare LF or CR, obs-fold, whitespace before a colon,
    ///   control characters, an unknown version), 414 when the request line is longer than
    ///   `maxURI` allows, 431 when the head is longer than `maxHead`.
    package mutating func readRawRequestHead(maxHead: Int, maxURI: Int) throws(RequestHeadError) -> RawRequestHead? {
        guard let length = try rawRequestHeadLength(maxHead: maxHead, maxURI: maxURI) else { return nil }
        return try readRawRequestHead(length: length, maxHead: maxHead, maxURI: maxURI)
    }

    /// The length of the request head at the reader index, through its empty line (empty lines
    /// before it are consumed): nil when that has not arrived yet. Throws 414 or 431 as
    /// ``readRawRequestHead(maxHead:maxURI:)``. The hot path asks this and then reads a
    /// non-optional head (see `RawResponseHead`'s ``rawResponseHeadLength(limit:)`` for why).
    package mutating func rawRequestHeadLength(maxHead: Int, maxURI: Int) throws(RequestHeadError) -> Int? {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while readableBytes >= 2, getInteger(at: readerIndex, as: UInt8.self) == 0x0D,
            getInteger(at: readerIndex + 1, as: UInt8.self) == 0x0A
        {
            moveReaderIndex(forwardBy: 2)
        }
        guard let end = withUnsafeReadableBytes({ Self.headEnd($0) }) else {
            let firstLineEnd = withUnsafeReadableBytes { $0.firstIndex(of: 0x0A) }
            if firstLineEnd == nil && readableBytes > maxURI + 32 {
                throw RequestHeadError(.uriTooLong, "request URI too long")
            }
            if readableBytes > maxHead {
                throw firstLineEnd.map { $0 > maxURI + 32 } ?? true
                    ? RequestHeadError(.uriTooLong, "request URI too long")
                    : RequestHeadError(.requestHeaderFieldsTooLarge, "request header section too large")
            }
            return nil
        }
        return end
    }

    /// Reads a request head of `length` bytes (see ``rawRequestHeadLength(maxHead:maxURI:)``).
    package mutating func readRawRequestHead(length end: Int, maxHead: Int, maxURI: Int) throws(RequestHeadError) -> RawRequestHead {
        var fields: [RawResponseHead.Field] = []
        return try readRawRequestHead(length: end, maxHead: maxHead, maxURI: maxURI, reusing: &fields)
    }

    /// ``readRawRequestHead(length:maxHead:maxURI:)`` with the field array of an earlier head: when
    /// nothing else holds it any more, its storage is reused. `spare` is left empty.
    package mutating func readRawRequestHead(
        length end: Int, maxHead: Int, maxURI: Int, reusing spare: inout [RawResponseHead.Field]
    ) throws(RequestHeadError) -> RawRequestHead {
        let head = getSlice(at: readerIndex, length: end)!
        var fields: [RawResponseHead.Field] = []
        swap(&fields, &spare)
        fields.removeAll(keepingCapacity: true)
        let parsed = head.withUnsafeReadableBytes { Self.parseRequestHead($0, maxURI: maxURI, into: &fields) }
        switch parsed {
        case .success(let line):
            if end > maxHead {
                throw RequestHeadError(.requestHeaderFieldsTooLarge, "request header section too large")
            }
            moveReaderIndex(forwardBy: end)
            return RawRequestHead(bytes: head, method: line.method, versionMinor: line.minor, target: line.target, fields: fields)
        case .failure(let error):
            throw error
        }
    }

    struct RequestHeadParts {
        var method: HTTPMethod
        var minor: Int
        var target: Range<Int>
        var fields: [RawResponseHead.Field]
    }

    struct RequestHeadLine {
        var method: HTTPMethod
        var minor: Int
        var target: Range<Int>
    }

    static func parseRequestHead(_ bytes: UnsafeRawBufferPointer, maxURI: Int) -> Result<RequestHeadParts, RequestHeadError> {
        var fields: [RawResponseHead.Field] = []
        return parseRequestHead(bytes, maxURI: maxURI, into: &fields).map { line in
            RequestHeadParts(method: line.method, minor: line.minor, target: line.target, fields: fields)
        }
    }

    /// Parses the request line and appends the header fields to `fields` (which arrives empty).
    static func parseRequestHead(
        _ bytes: UnsafeRawBufferPointer, maxURI: Int, into fields: inout [RawResponseHead.Field]
    ) -> Result<RequestHeadLine, RequestHeadError> {
        let count = bytes.count
        func bad(_ reason: String) -> Result<RequestHeadLine, RequestHeadError> {
            .failure(RequestHeadError(.badRequest, "bad request: \(reason)"))
        }
        var offset = 0
        while offset < count, isTokenByte(bytes[offset]) { offset += 1 }
        guard offset > 0, offset < count, bytes[offset] == 0x20 else { return bad("malformed request line") }
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[0..<offset]))
        offset += 1
        let targetStart = offset
        while offset < count {
            let byte = bytes[offset]
            if byte == 0x20 { break }
            guard byte > 0x20 && byte != 0x7F else { return bad("malformed request target") }
            offset += 1
        }
        guard offset > targetStart, offset < count else { return bad("malformed request line") }
        if offset - targetStart > maxURI { return .failure(RequestHeadError(.uriTooLong, "request URI too long")) }
        let target = targetStart..<offset
        offset += 1
        guard offset + 9 < count, bytes[offset] == 0x48, bytes[offset + 1] == 0x54, bytes[offset + 2] == 0x54,
            bytes[offset + 3] == 0x50, bytes[offset + 4] == 0x2F, bytes[offset + 5] == 0x31, bytes[offset + 6] == 0x2E,
            bytes[offset + 7] == 0x30 || bytes[offset + 7] == 0x31, bytes[offset + 8] == 0x0D, bytes[offset + 9] == 0x0A
        else { return bad("unsupported HTTP version or malformed request line") }
        let minor = Int(bytes[offset + 7] - 0x30)
        offset += 10
        if fields.capacity == 0 { fields.reserveCapacity(16) }
        while offset < count {
            let first = bytes[offset]
            if first == 0x0D {
                guard offset + 1 < count, bytes[offset + 1] == 0x0A else { return bad("bare CR") }
                break
            }
            if first == 0x20 || first == 0x09 { return bad("obsolete line folding") }
            let nameStart = offset
            while offset < count, isTokenByte(bytes[offset]) { offset += 1 }
            guard offset > nameStart, offset < count, bytes[offset] == 0x3A else { return bad("malformed header line") }
            let nameEnd = offset
            offset += 1
            while offset < count, bytes[offset] == 0x20 || bytes[offset] == 0x09 { offset += 1 }
            let valueStart = offset
            guard let (lineEnd, valueEnd) = scanFieldValue(bytes, from: valueStart) else { return bad("control character in a header") }
            offset = lineEnd
            guard offset + 1 < count, bytes[offset + 1] == 0x0A else { return bad("bare CR") }
            fields.append(.init(nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd))
            offset += 2
        }
        return .success(RequestHeadLine(method: method, minor: minor, target: target))
    }

    static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3:
            if bytes[0] == 0x47 && bytes[1] == 0x45 && bytes[2] == 0x54 { return .GET }
            if bytes[0] == 0x50 && bytes[1] == 0x55 && bytes[2] == 0x54 { return .PUT }
        case 4:
            if bytes[0] == 0x50 && bytes[1] == 0x4F && bytes[2] == 0x53 && bytes[3] == 0x54 { return .POST }
            if bytes[0] == 0x48 && bytes[1] == 0x45 && bytes[2] == 0x41 && bytes[3] == 0x44 { return .HEAD }
        default:
            break
        }
        return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
    }
}

/// What a request head says about its body and connection, read in one pass over its fields.
package struct RawRequestFacts: Sendable {
    package var framing = MessageFraming.none
    package var host: String?
    package var expect: String?
    package var isUpgrade = false
    package var keepAlive = true
}

extension RawRequestHead {
    /// Framing (with the smuggling checks of ``RequestFramingValidator``), keep-alive, upgrade,
    /// `Host` and `Expect`.
    package func facts() throws(FramingError) -> RawRequestFacts {
        var facts = RawRequestFacts()
        var lengths: [String] = []
        var codings: [String] = []
        var hasTE = false
        var hasUpgrade = false
        var connectionUpgrade = false
        var connectionClose = false
        var connectionKeepAlive = false
        // (One pass over the head's bytes: no views; strings only for the values kept or checked.)
        bytes.withUnsafeReadableBytes { raw in
            for field in fields {
                let start = field.nameStart
                let end = field.nameEnd
                switch end - start {
                case 4 where rawEqualIgnoringCase(raw, start, end, "host"):
                    if facts.host == nil { facts.host = String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self) }
                case 6 where rawEqualIgnoringCase(raw, start, end, "expect"):
                    facts.expect = String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self)
                case 7 where rawEqualIgnoringCase(raw, start, end, "upgrade"):
                    hasUpgrade = true
                case 10 where rawEqualIgnoringCase(raw, start, end, "connection"):
                    var tokens = ConnectionTokens()
                    tokens.scan(raw, field.valueStart..<field.valueEnd)
                    connectionClose = connectionClose || tokens.close
                    connectionKeepAlive = connectionKeepAlive || tokens.keepAlive
                    connectionUpgrade = connectionUpgrade || tokens.upgrade
                case 14 where rawEqualIgnoringCase(raw, start, end, "content-length"):
                    lengths.append(contentsOf: listElements(String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self)).map(String.init))
                case 17 where rawEqualIgnoringCase(raw, start, end, "transfer-encoding"):
                    hasTE = true
                    codings.append(contentsOf: listElements(String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self)).map(String.init))
                default:
                    break
                }
            }
        }
        facts.isUpgrade = hasUpgrade && connectionUpgrade
        let http11 = versionMinor >= 1
        facts.keepAlive = http11 ? !connectionClose : connectionKeepAlive && !connectionClose
        if hasTE {
            guard lengths.isEmpty else { throw FramingError(.badRequest, "both Content-Length and Transfer-Encoding") }
            guard http11 else { throw FramingError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            try RequestFramingValidator.checkCodings(codings, status: .badRequest)
            facts.framing = .chunked
            return facts
        }
        if let length = try RequestFramingValidator.contentLength(lengths, rawCount: 0, status: .badRequest), length > 0 {
            facts.framing = .contentLength(length)
        }
        return facts
    }
}
