import NIOCore
import Testing

@testable import WProxyProtocols

/// Bytes that precede the message in every parser test, so that "reader index restored" is checked
/// at a non-zero index.
private let prefix: [UInt8] = [0xAA, 0xBB]

/// Checks a parser/writer pair against the wire bytes of `value`:
/// the writer produces exactly `bytes` and returns their count; the parser reads `value` from
/// `bytes` with trailing data left unread; every truncation returns nil with the buffer untouched;
/// and drip-feeding one byte at a time returns nil until the last byte.
func checkCodec<T: Hashable>(
    _ value: T,
    bytes: [UInt8],
    write: (inout ByteBuffer, T) -> Int,
    read: (inout ByteBuffer) throws -> T?,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var written = ByteBuffer()
    let count = write(&written, value)
    #expect(Array(written.readableBytesView) == bytes, "writer output", sourceLocation: sourceLocation)
    #expect(count == bytes.count, "writer return value", sourceLocation: sourceLocation)

    // All in one buffer, with trailing bytes that must be left alone.
    var whole = bufferWithPrefix(bytes + [0xEE, 0xEF])
    #expect(try read(&whole) == value, "all at once", sourceLocation: sourceLocation)
    #expect(Array(whole.readableBytesView) == [0xEE, 0xEF], "trailing bytes", sourceLocation: sourceLocation)

    // Truncated at every length.
    for length in 0..<bytes.count {
        var truncated = bufferWithPrefix(Array(bytes.prefix(length)))
        let before = truncated
        #expect(try read(&truncated) == nil, "truncated at \(length)", sourceLocation: sourceLocation)
        #expect(truncated == before, "index restored at \(length)", sourceLocation: sourceLocation)
        #expect(truncated.readerIndex == prefix.count, sourceLocation: sourceLocation)
    }

    // Drip-fed one byte at a time into one growing buffer.
    var drip = bufferWithPrefix([])
    var result: T?
    for (index, byte) in bytes.enumerated() {
        drip.writeInteger(byte)
        result = try read(&drip)
        if index < bytes.count - 1 {
            #expect(result == nil, "drip at \(index)", sourceLocation: sourceLocation)
        }
    }
    #expect(result == value, "drip result", sourceLocation: sourceLocation)
    #expect(drip.readableBytes == 0, "drip consumed", sourceLocation: sourceLocation)
}

/// Checks that `bytes` make the parser throw `error` and that the buffer is left untouched.
func checkRejects<T>(
    _ bytes: [UInt8],
    _ error: SOCKSError,
    read: (inout ByteBuffer) throws -> T?,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var buffer = bufferWithPrefix(bytes)
    let before = buffer
    #expect(throws: error, sourceLocation: sourceLocation) { _ = try read(&buffer) }
    #expect(buffer == before, "index restored after throw", sourceLocation: sourceLocation)
}

/// A buffer holding the (already consumed) prefix and then `bytes`.
func bufferWithPrefix(_ bytes: [UInt8]) -> ByteBuffer {
    var buffer = ByteBuffer(bytes: prefix + bytes)
    buffer.moveReaderIndex(forwardBy: prefix.count)
    return buffer
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(self.readableBytesView) }
}

extension [UInt8] {
    var buffer: ByteBuffer { ByteBuffer(bytes: self) }
}
