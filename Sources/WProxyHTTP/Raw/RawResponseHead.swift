import NIOCore

/// An upstream's response head as received: the bytes, and where each part lies in them.
/// Nothing is copied into `String`s: the head is re-emitted to the client by copying byte ranges.
package struct RawResponseHead: Sendable {
    /// One header line: name and value ranges (value trimmed of optional whitespace), relative to `bytes`.
    package struct Field: Sendable {
        package var nameStart: Int
        package var nameEnd: Int
        package var valueStart: Int
        package var valueEnd: Int
    }

    /// The head, from the status line through the empty line.
    package var bytes: ByteBuffer
    package var versionMinor: Int
    package var status: Int
    /// The status code and reason phrase (`200 OK`), relative to `bytes`.
    package var statusLine: Range<Int>
    package var fields: [Field]

    package func name(_ field: Field) -> ByteBufferView { bytes.readableBytesView[field.nameStart..<field.nameEnd] }
    package func value(_ field: Field) -> ByteBufferView { bytes.readableBytesView[field.valueStart..<field.valueEnd] }

    package func valueString(_ field: Field) -> String {
        String(decoding: value(field), as: UTF8.self)
    }

    /// True when the field's name equals a lower-case literal, ignoring ASCII case.
    package func nameIs(_ field: Field, _ lowercased: StaticString) -> Bool {
        bytesEqualIgnoringCase(name(field), lowercased)
    }
}

@inline(__always)
func bytesEqualIgnoringCase<C: Collection>(_ bytes: C, _ lowercased: StaticString) -> Bool where C.Element == UInt8 {
    let count = lowercased.utf8CodeUnitCount
    guard bytes.count == count else { return false }
    let literal = lowercased.utf8Start
    var index = 0
    for var byte in bytes {
        if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
        if byte != literal[index] { return false }
        index += 1
    }
    return true
}

/// Why a response head could not be read.
package struct ResponseHeadError: Error, Hashable, CustomStringConvertible {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}

extension ByteBuffer {
    /// Reads one response head (strict HTTP/1.x): nil when the empty line has not arrived yet
    /// (the reader index is left alone), throws on malformed input or a head over `limit` bytes.
    package mutating func readRawResponseHead(limit: Int) throws(ResponseHeadError) -> RawResponseHead? {
        guard let length = try rawResponseHeadLength(limit: limit) else { return nil }
        return try readRawResponseHead(length: length)
    }

    /// The length of the response head at the reader index, through its empty line: nil when that
    /// has not arrived yet; throws when the head is over `limit` bytes. (The hot path asks this first
    /// and then reads a non-optional head: an optional of a struct the size of `RawResponseHead`
    /// is destroyed through its value-witness table, several hundred instructions a time.)
    package func rawResponseHeadLength(limit: Int) throws(ResponseHeadError) -> Int? {
        let end = withUnsafeReadableBytes { Self.headEnd($0) }
        guard let end else {
            if readableBytes > limit { throw ResponseHeadError("upstream response head too large") }
            return nil
        }
        if end > limit { throw ResponseHeadError("upstream response head too large") }
        return end
    }

    /// Reads a response head of `length` bytes (see ``rawResponseHeadLength(limit:)``); throws on
    /// malformed input, leaving the reader index alone.
    package mutating func readRawResponseHead(length end: Int) throws(ResponseHeadError) -> RawResponseHead {
        var fields: [RawResponseHead.Field] = []
        return try readRawResponseHead(length: end, reusing: &fields)
    }

    /// ``readRawResponseHead(length:)`` with the field array of an earlier head: when nothing else
    /// holds it any more, its storage is reused (no allocation per response). `spare` is left empty.
    package mutating func readRawResponseHead(length end: Int, reusing spare: inout [RawResponseHead.Field]) throws(ResponseHeadError) -> RawResponseHead {
        let head = getSlice(at: readerIndex, length: end)!
        var fields: [RawResponseHead.Field] = []
        swap(&fields, &spare)
        fields.removeAll(keepingCapacity: true)
        let parsed = head.withUnsafeReadableBytes { Self.parseResponseHead($0, into: &fields) }
        switch parsed {
        case .success(let line):
            moveReaderIndex(forwardBy: end)
            return RawResponseHead(bytes: head, versionMinor: line.minor, status: line.status, statusLine: line.statusLine, fields: fields)
        case .failure(let error):
            throw error
        }
    }

    /// Offset just past the first CRLFCRLF, or nil.
    static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        // Look at where the final LF of CRLFCRLF could be, skipping ahead when a byte rules positions out.
        var index = 3
        let count = bytes.count
        while index < count {
            switch bytes[index] {
            case 0x0A:
                if bytes[index - 1] == 0x0D && bytes[index - 2] == 0x0A && bytes[index - 3] == 0x0D { return index + 1 }
                index += 2
            case 0x0D:
                index += 1
            default:
                index += 4
            }
        }
        return nil
    }

    struct ResponseHeadParts {
        var minor: Int
        var status: Int
        var statusLine: Range<Int>
        var fields: [RawResponseHead.Field]
    }

    struct ResponseHeadLine {
        var minor: Int
        var status: Int
        var statusLine: Range<Int>
    }

    static func parseResponseHead(_ bytes: UnsafeRawBufferPointer) -> Result<ResponseHeadParts, ResponseHeadError> {
        var fields: [RawResponseHead.Field] = []
        return parseResponseHead(bytes, into: &fields).map { line in
            ResponseHeadParts(minor: line.minor, status: line.status, statusLine: line.statusLine, fields: fields)
        }
    }

    /// Parses the status line and appends the header fields to `fields` (which arrives empty).
    static func parseResponseHead(_ bytes: UnsafeRawBufferPointer, into fields: inout [RawResponseHead.Field]) -> Result<ResponseHeadLine, ResponseHeadError> {
        let count = bytes.count
        // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
        guard count >= 14, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50, bytes[4] == 0x2F,
            bytes[5] == 0x31, bytes[6] == 0x2E, bytes[7] == 0x30 || bytes[7] == 0x31, bytes[8] == 0x20
        else { return .failure(ResponseHeadError("upstream sent a malformed status line")) }
        let minor = Int(bytes[7] - 0x30)
        var status = 0
        for offset in 9..<12 {
            let digit = bytes[offset]
            guard digit >= 0x30 && digit <= 0x39 else { return .failure(ResponseHeadError("upstream sent a malformed status code")) }
            status = status * 10 + Int(digit - 0x30)
        }
        guard status >= 100 else { return .failure(ResponseHeadError("upstream sent a malformed status code")) }
        var offset = 12
        guard bytes[offset] == 0x20 || bytes[offset] == 0x0D else { return .failure(ResponseHeadError("upstream sent a malformed status line")) }
        while offset < count && bytes[offset] != 0x0D {
            let byte = bytes[offset]
            guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { return .failure(ResponseHeadError("control character in status line")) }
            offset += 1
        }
        guard offset + 1 < count, bytes[offset + 1] == 0x0A else { return .failure(ResponseHeadError("upstream sent a malformed status line")) }
        let statusLine = 9..<offset
        offset += 2
        if fields.capacity == 0 { fields.reserveCapacity(12) }
        while offset < count {
            if bytes[offset] == 0x0D {
                guard offset + 1 < count, bytes[offset + 1] == 0x0A else { return .failure(ResponseHeadError("bare CR in response head")) }
                break  // the empty line
            }
            let nameStart = offset
            while offset < count, isTokenByte(bytes[offset]) { offset += 1 }
            guard offset > nameStart, offset < count, bytes[offset] == 0x3A else {
                return .failure(ResponseHeadError("upstream sent a malformed header line"))
            }
            let nameEnd = offset
            offset += 1
            while offset < count, bytes[offset] == 0x20 || bytes[offset] == 0x09 { offset += 1 }
            let valueStart = offset
            guard let (lineEnd, valueEnd) = scanFieldValue(bytes, from: valueStart) else {
                return .failure(ResponseHeadError("control character in a response header"))
            }
            offset = lineEnd
            guard offset + 1 < count, bytes[offset + 1] == 0x0A else { return .failure(ResponseHeadError("bare CR in response head")) }
            fields.append(.init(nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd))
            offset += 2
        }
        return .success(ResponseHeadLine(minor: minor, status: status, statusLine: statusLine))
    }
}

/// RFC 9110 token characters (a bitmap of the 128 ASCII codes: two shifts and a mask per byte).
@inline(__always)
func isTokenByte(_ byte: UInt8) -> Bool {
    // Bits set for ! # $ % & ' * + - . 0-9 (0x00-0x3F) and A-Z ^ _ ` a-z | ~ (0x40-0x7F).
    let low: UInt64 = 0x03FF_6CFA_0000_0000
    let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
    let word = byte < 0x40 ? low : byte < 0x80 ? high : 0
    return (word >> UInt64(byte & 0x3F)) & 1 != 0
}

/// The end of a header field value starting at `start`: the offset of its CR, and the value's end
/// with trailing spaces and tabs trimmed; nil when a byte other than HTAB, SP, VCHAR or obs-text
/// comes first. Eight bytes are checked at a time while none is a control character or DEL.
@inline(__always)
func scanFieldValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (lineEnd: Int, valueEnd: Int)? {
    let count = bytes.count
    var offset = start
    while offset + 8 <= count {
        let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        // Any byte below 0x20 (CR, HTAB and the controls), or equal to 0x7F? (Exact as a yes/no.)
        let below = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
        let del = word ^ 0x7F7F_7F7F_7F7F_7F7F
        let isDel = (del &- 0x0101_0101_0101_0101) & ~del & 0x8080_8080_8080_8080
        if below | isDel != 0 { break }
        offset += 8
    }
    while offset < count {
        let byte = bytes[offset]
        if byte == 0x0D { break }
        guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { return nil }
        offset += 1
    }
    var valueEnd = offset
    while valueEnd > start, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
    return (offset, valueEnd)
}

/// The tokens of a `Connection` value, read from raw bytes without making strings.
package struct ConnectionTokens {
    package var close = false
    package var keepAlive = false
    package var upgrade = false
    /// Other tokens: names of further hop-by-hop headers (rare), as byte ranges of the value's buffer.
    package var others: [Range<Int>] = []

    package init() {}

    /// Scans `view[range]` (comma-separated, optional whitespace around elements).
    package mutating func scan(_ view: ByteBufferView, _ range: Range<Int>) {
        _ = view.withContiguousStorageIfAvailable { scan(UnsafeRawBufferPointer($0), range) }
    }

    /// Scans `bytes[range]`; `others` are then ranges of `bytes`.
    package mutating func scan(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        // Nearly every value is one of these alone (field values arrive trimmed).
        if range.count == 10, rawEqualIgnoringCase(bytes, range.lowerBound, range.upperBound, "keep-alive") {
            keepAlive = true
            return
        }
        if range.count == 5, rawEqualIgnoringCase(bytes, range.lowerBound, range.upperBound, "close") {
            close = true
            return
        }
        var start = range.lowerBound
        var index = range.lowerBound
        while index <= range.upperBound {
            if index == range.upperBound || bytes[index] == UInt8(ascii: ",") {
                var lower = start
                var upper = index
                while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
                while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
                if upper > lower {
                    if rawEqualIgnoringCase(bytes, lower, upper, "close") {
                        close = true
                    } else if rawEqualIgnoringCase(bytes, lower, upper, "keep-alive") {
                        keepAlive = true
                    } else if rawEqualIgnoringCase(bytes, lower, upper, "upgrade") {
                        upgrade = true
                    } else {
                        others.append(lower..<upper)
                    }
                }
                start = index + 1
            }
            index += 1
        }
    }

    /// True when `name` (a field name in `view`) is one of the other tokens.
    package func names(_ name: ByteBufferView, in view: ByteBufferView) -> Bool {
        for range in others where range.count == name.count {
            if HeadWriters.equalIgnoringCase(view[(view.startIndex + range.lowerBound)..<(view.startIndex + range.upperBound)], name) {
                return true
            }
        }
        return false
    }

    /// True when `bytes[name]` is one of the other tokens (ranges of the same `bytes`).
    package func names(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        for range in others where range.count == name.count {
            if rawEqualIgnoringCase(bytes, range, bytes, name) { return true }
        }
        return false
    }
}
