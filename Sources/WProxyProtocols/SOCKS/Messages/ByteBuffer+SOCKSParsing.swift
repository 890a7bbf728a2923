import NIOCore

extension ByteBuffer {
    /// Runs `body`; if it returns nil or throws, the buffer (and so its reader index) is put back
    /// exactly as it was. Every SOCKS parser goes through this, so none consumes a partial message.
    @inlinable
    mutating func parseUnwindingIfNeeded<T>(_ body: (inout ByteBuffer) throws -> T?) rethrows -> T? {
        let saved = self
        do {
            guard let value = try body(&self) else {
                self = saved
                return nil
            }
            return value
        } catch {
            self = saved
            throw error
        }
    }

    /// Reads one byte and throws unless it is `expected`.
    mutating func readSOCKSVersion(_ expected: UInt8) throws -> UInt8? {
        guard let version = self.getInteger(at: self.readerIndex, as: UInt8.self) else {
            return nil
        }
        guard version == expected else {
            throw SOCKSError.invalidVersion(version)
        }
        self.moveReaderIndex(forwardBy: 1)
        return version
    }

    /// Reads bytes up to a NUL, consuming the NUL. Throws if no NUL appears within `maxLength` bytes.
    mutating func readNullTerminatedBytes(maxLength: Int) throws -> [UInt8]? {
        let view = self.readableBytesView
        let searchable = view.prefix(maxLength + 1)
        guard let nul = searchable.firstIndex(of: 0) else {
            if searchable.count > maxLength {
                throw SOCKSError.fieldTooLong
            }
            return nil
        }
        let length = nul - view.startIndex
        let bytes = self.readBytes(length: length)
        self.moveReaderIndex(forwardBy: 1)
        return bytes
    }

    /// Reads a one-byte length followed by that many bytes.
    mutating func readLengthPrefixedBytes() -> [UInt8]? {
        self.parseUnwindingIfNeeded { buffer in
            guard let length = buffer.readInteger(as: UInt8.self) else {
                return nil
            }
            return buffer.readBytes(length: Int(length))
        }
    }

    /// Writes a one-byte length and then at most 255 bytes of `bytes`.
    ///
    /// Callers validate lengths first; truncation here only keeps a programmer error from trapping.
    @discardableResult
    mutating func writeLengthPrefixedBytes<Bytes: Collection>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        assert(bytes.count <= 255, "SOCKS length-prefixed field longer than 255 bytes")
        let clipped = bytes.prefix(255)
        return self.writeInteger(UInt8(clipped.count)) + self.writeBytes(clipped)
    }
}

extension ByteBuffer? {
    /// Appends `bytes`, starting a buffer if there is none.
    mutating func append(_ bytes: ByteBuffer) {
        switch self {
        case .none:
            self = bytes
        case .some(var existing):
            self = nil
            var bytes = bytes
            existing.writeBuffer(&bytes)
            self = existing
        }
    }
}

extension String {
    /// Decodes UTF-8 strictly: nil if `bytes` is not valid UTF-8.
    init?(strictUTF8 bytes: [UInt8]) {
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else {
            return nil
        }
        self = decoded
    }
}
