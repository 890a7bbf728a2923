/// Follows chunked framing (RFC 9112 §7.1) over raw bytes without changing them, so a chunked
/// body can be passed on verbatim (or only its data extracted, for an HTTP/1.0 client).
///
/// Strict: chunk sizes are 1 to 16 hex digits; extensions and trailer lines may not hold control
/// characters; every line ends with CRLF. After an error it stays failed.
package struct ChunkedTracker: Sendable {
    private enum State: Sendable {
        case size(value: UInt64, digits: Int)
        case sizeSpace(value: UInt64)
        case sizeExtension(value: UInt64)
        case sizeLF(value: UInt64)
        case data(remaining: UInt64)
        case dataCR
        case dataLF
        case trailerStart
        case trailer
        case trailerLF
        case finalLF
        case done
        case failed
    }

    package struct Malformed: Error, Hashable, CustomStringConvertible {
        package let reason: String
        package var description: String { reason }
    }

    private var state = State.size(value: 0, digits: 0)
    /// Data bytes seen so far (without framing).
    package private(set) var dataBytes: UInt64 = 0

    package init() {}

    package var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes the framing in `bytes` up to the end of the body; calls `onData` with the ranges
    /// (relative to `bytes`) that are chunk data. Returns how many bytes belong to the body: all of
    /// them unless the body ended inside `bytes`.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, onData: (Range<Int>) -> Void) throws(Malformed) -> Int {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch state {
            case .size(let value, let digits):
                if let digit = Self.hex(byte) {
                    guard digits < 16 else { return try fail("chunk size too long") }
                    state = .size(value: value << 4 | UInt64(digit), digits: digits + 1)
                } else if digits == 0 {
                    return try fail("missing chunk size")
                } else if byte == 0x3B {
                    state = .sizeExtension(value: value)
                } else if byte == 0x20 || byte == 0x09 {
                    state = .sizeSpace(value: value)
                } else if byte == 0x0D {
                    state = .sizeLF(value: value)
                } else {
                    return try fail("malformed chunk size")
                }
                index += 1
            case .sizeSpace(let value):
                if byte == 0x3B {
                    state = .sizeExtension(value: value)
                } else if byte == 0x0D {
                    state = .sizeLF(value: value)
                } else if byte != 0x20 && byte != 0x09 {
                    return try fail("malformed chunk size")
                }
                index += 1
            case .sizeExtension(let value):
                if byte == 0x0D {
                    state = .sizeLF(value: value)
                } else if byte != 0x09 && (byte < 0x20 || byte == 0x7F) {
                    return try fail("control character in a chunk extension")
                }
                index += 1
            case .sizeLF(let value):
                guard byte == 0x0A else { return try fail("chunk size line without LF") }
                state = value == 0 ? .trailerStart : .data(remaining: value)
                index += 1
            case .data(let remaining):
                let take = Int(min(remaining, UInt64(count - index)))
                onData(index..<(index + take))
                dataBytes += UInt64(take)
                index += take
                state = remaining == UInt64(take) ? .dataCR : .data(remaining: remaining - UInt64(take))
            case .dataCR:
                guard byte == 0x0D else { return try fail("chunk data longer than its size") }
                state = .dataLF
                index += 1
            case .dataLF:
                guard byte == 0x0A else { return try fail("chunk data without CRLF") }
                state = .size(value: 0, digits: 0)
                index += 1
            case .trailerStart:
                state = byte == 0x0D ? .finalLF : .trailer
                if byte != 0x0D, byte != 0x09, byte < 0x20 || byte == 0x7F { return try fail("control character in a trailer") }
                index += 1
            case .trailer:
                if byte == 0x0D {
                    state = .trailerLF
                } else if byte != 0x09 && (byte < 0x20 || byte == 0x7F) {
                    return try fail("control character in a trailer")
                }
                index += 1
            case .trailerLF:
                guard byte == 0x0A else { return try fail("trailer line without LF") }
                state = .trailerStart
                index += 1
            case .finalLF:
                guard byte == 0x0A else { return try fail("chunked body without final CRLF") }
                state = .done
                return index + 1
            case .done:
                return index
            case .failed:
                throw Malformed(reason: "malformed chunked body")
            }
        }
        return index
    }

    private mutating func fail(_ reason: String) throws(Malformed) -> Int {
        state = .failed
        throw Malformed(reason: reason)
    }

    @inline(__always)
    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
