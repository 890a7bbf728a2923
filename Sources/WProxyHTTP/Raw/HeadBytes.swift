import NIOCore

/// Writes a head into memory already reserved for it: one `ByteBuffer` call per head instead of
/// one per piece (each `ByteBuffer` write costs a uniqueness check, a capacity check and, in NIO's
/// release builds, a dynamic exclusivity check).
///
/// Every append is bounds-checked against the reserved space (a `precondition`, so an undersized
/// estimate stops the process instead of writing past the buffer).
struct HeadByteWriter {
    private let base: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ base: UnsafeMutableRawBufferPointer) {
        self.base = base
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let length = bytes.count
        precondition(count + length <= base.count, "head larger than reserved")
        if length > 0 {
            (base.baseAddress! + count).copyMemory(from: bytes.baseAddress!, byteCount: length)
            count += length
        }
    }

    /// `source[start..<end]`.
    @inline(__always)
    mutating func append(_ source: UnsafeRawBufferPointer, _ start: Int, _ end: Int) {
        append(UnsafeRawBufferPointer(rebasing: source[start..<end]))
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        precondition(count < base.count, "head larger than reserved")
        base[count] = byte
        count += 1
    }

    /// A non-negative decimal number.
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for Int.max (19 digits)
        var remaining = value
        var length = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                length += 1
                scratch[24 - length] = UInt8(truncatingIfNeeded: 0x30 + remaining % 10)
                remaining /= 10
            } while remaining > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[(24 - length)...]))
        }
    }

    /// `Name: value\r\n`.
    @inline(__always)
    mutating func appendField(_ name: StaticString, _ value: String) {
        append(name)
        append(": ")
        append(value)
        append("\r\n")
    }

    // MARK: Copying kept header lines

    /// Start and end of the pending run of kept header lines that sit next to each other in the
    /// source: a run is copied with one `append` instead of one per line.
    private var runStart = -1
    private var runEnd = -1

    /// Keeps the header line from `start` (its name) through `valueEnd` (end of its trimmed value).
    /// Only lines that end at their CRLF can join a run: a value with trailing whitespace ends the run
    /// at the value and gets a fresh CRLF.
    @inline(__always)
    mutating func keepLine(_ bytes: UnsafeRawBufferPointer, start: Int, valueEnd: Int) {
        if runEnd == start && runEnd >= 0 {
            runEnd = valueEnd + 2
        } else {
            if runStart >= 0 { append(bytes, runStart, runEnd) }
            runStart = start
            runEnd = valueEnd + 2
        }
        if bytes[valueEnd] != 0x0D {
            append(bytes, runStart, valueEnd)
            append("\r\n")
            runStart = -1
            runEnd = -1
        }
    }

    /// Writes the pending run; call once after the last `keepLine`.
    @inline(__always)
    mutating func flushKeptLines(_ bytes: UnsafeRawBufferPointer) {
        if runStart >= 0 { append(bytes, runStart, runEnd) }
        runStart = -1
        runEnd = -1
    }
}

/// True when `bytes[start..<end]` equals a lower-case literal, ignoring ASCII case.
@inline(__always)
func rawEqualIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ lowercased: StaticString) -> Bool {
    let count = lowercased.utf8CodeUnitCount
    guard end - start == count else { return false }
    let literal = lowercased.utf8Start
    for index in 0..<count {
        var byte = bytes[start + index]
        if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
        if byte != literal[index] { return false }
    }
    return true
}

/// ASCII case-insensitive equality of two byte ranges.
@inline(__always)
func rawEqualIgnoringCase(_ lhs: UnsafeRawBufferPointer, _ lhsRange: Range<Int>, _ rhs: UnsafeRawBufferPointer, _ rhsRange: Range<Int>) -> Bool {
    guard lhsRange.count == rhsRange.count else { return false }
    for offset in 0..<lhsRange.count {
        let a = lhs[lhsRange.lowerBound + offset]
        let b = rhs[rhsRange.lowerBound + offset]
        let la = a >= 0x41 && a <= 0x5A ? a | 0x20 : a
        let lb = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
        if la != lb { return false }
    }
    return true
}
