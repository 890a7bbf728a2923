import NIOCore

/// Finds the SNI host name in the first bytes a TLS client sends, without consuming them.
///
/// `wproxy tcp --sni HOST=UPSTREAM` must choose an upstream from the ClientHello and then forward
/// every byte unchanged, so ``peek(_:)`` only reads a copy of the buffer it is given: the caller's
/// reader index never moves. Call it again with the accumulated bytes each time more arrive.
///
/// Guarantees:
/// - A strict prefix of a well-formed ClientHello (up to `maxBytes`) yields ``ClientHelloPeekResult/needMoreData``,
///   never an error.
/// - Input that cannot become a valid ClientHello throws as early as the bytes show it (a plain
///   HTTP `GET /` throws after its first byte), so the caller can close instead of waiting.
/// - Nothing a peer sends can trap; every length is checked against its container.
/// - Work is bounded by `maxBytes`: a hello that would need more bytes than that throws
///   ``ClientHelloError/tooLarge``.
///
/// A ClientHello split over several handshake records is reassembled (TLS allows any
/// fragmentation); bytes after the ClientHello are ignored.
package struct ClientHelloParser: Hashable, Sendable {
    /// One full-size TLS record: 5 header bytes plus 2^14 bytes of payload.
    package static let defaultMaxBytes = 16 * 1024 + 5

    static let recordHeaderLength = 5
    static let handshakeHeaderLength = 4
    static let maxRecordPayload = 1 << 14
    static let contentTypeHandshake: UInt8 = 22
    static let handshakeTypeClientHello: UInt8 = 1

    /// The most bytes (record headers included) this parser will look at before giving up.
    package let maxBytes: Int

    /// - Parameter maxBytes: the limit on record bytes examined; must be positive.
    package init(maxBytes: Int = ClientHelloParser.defaultMaxBytes) {
        precondition(maxBytes > 0, "ClientHelloParser.maxBytes must be positive")
        self.maxBytes = maxBytes
    }

    /// Looks at the readable bytes of `buffer` and reports whether they hold a complete ClientHello.
    ///
    /// - Returns: ``ClientHelloPeekResult/needMoreData`` for a valid prefix, otherwise the server name.
    /// - Throws: ``ClientHelloError`` when the bytes are not, and cannot become, a valid ClientHello.
    package func peek(_ buffer: ByteBuffer) throws(ClientHelloError) -> ClientHelloPeekResult {
        var records = buffer  // a copy: reading from it leaves the caller's buffer untouched
        var examined = 0
        // The handshake message reassembled from the fragments of complete records. The first
        // fragment is a slice, so the common single-record hello is parsed without copying.
        var handshake: ByteBuffer? = nil

        while true {
            let isFirstRecord = handshake == nil
            guard let payloadLength = try self.checkRecordHeader(records, isFirstRecord: isFirstRecord) else {
                return .needMoreData
            }
            guard examined + Self.recordHeaderLength + payloadLength <= self.maxBytes else {
                throw .tooLarge.with("records exceed \(self.maxBytes) bytes")
            }
            guard records.readableBytes >= Self.recordHeaderLength + payloadLength else {
                if isFirstRecord {
                    // Reject a wrong handshake type or an impossible length before the record completes.
                    let available = records.readableBytes - Self.recordHeaderLength
                    if available > 0,
                        let partial = records.getSlice(
                            at: records.readerIndex + Self.recordHeaderLength,
                            length: available
                        )
                    {
                        _ = try self.checkHandshakeHeader(partial)
                    }
                }
                return .needMoreData
            }
            records.moveReaderIndex(forwardBy: Self.recordHeaderLength)
            // Cannot fail: readableBytes was checked just above.
            guard let fragment = records.readSlice(length: payloadLength) else { return .needMoreData }
            examined += Self.recordHeaderLength + payloadLength

            if var accumulated = handshake {
                handshake = nil  // drop the second reference so the append below does not copy
                accumulated.writeImmutableBuffer(fragment)
                handshake = accumulated
            } else {
                handshake = fragment
            }
            guard let message = handshake, let bodyLength = try self.checkHandshakeHeader(message) else {
                continue
            }
            guard message.readableBytes >= Self.handshakeHeaderLength + bodyLength else { continue }
            guard
                let body = message.getSlice(
                    at: message.readerIndex + Self.handshakeHeaderLength,
                    length: bodyLength
                )
            else { return .needMoreData }
            return .serverName(try Self.parseClientHelloBody(body))
        }
    }

    /// Validates the record header at the reader index of `records`.
    ///
    /// - Returns: the payload length, or nil when fewer than 5 header bytes are available.
    private func checkRecordHeader(_ records: ByteBuffer, isFirstRecord: Bool) throws(ClientHelloError) -> Int? {
        let start = records.readerIndex
        guard let contentType = records.getInteger(at: start, as: UInt8.self) else { return nil }
        guard contentType == Self.contentTypeHandshake else {
            if isFirstRecord {
                throw .notHandshakeRecord.with("content type \(contentType)")
            }
            throw .malformedClientHello.with("record of content type \(contentType) inside the ClientHello")
        }
        if let major = records.getInteger(at: start + 1, as: UInt8.self), major != 3 {
            throw .unsupportedRecordVersion.with("major version \(major)")
        }
        // SSL 3.0 (0x0300) up to TLS 1.3's legacy values; TLS 1.3 itself never appears here.
        if let minor = records.getInteger(at: start + 2, as: UInt8.self), minor > 4 {
            throw .unsupportedRecordVersion.with("version 3.\(minor)")
        }
        guard let length = records.getInteger(at: start + 3, as: UInt16.self) else { return nil }
        guard length > 0, Int(length) <= Self.maxRecordPayload else {
            throw .invalidRecordLength.with("\(length) bytes")
        }
        return Int(length)
    }

    /// Validates as much of the handshake header as `message` holds.
    ///
    /// - Returns: the handshake body length, or nil when fewer than 4 header bytes are available.
    private func checkHandshakeHeader(_ message: ByteBuffer) throws(ClientHelloError) -> Int? {
        let start = message.readerIndex
        guard let type = message.getInteger(at: start, as: UInt8.self) else { return nil }
        guard type == Self.handshakeTypeClientHello else {
            throw .notClientHello.with("handshake type \(type)")
        }
        guard let high = message.getInteger(at: start + 1, as: UInt8.self),
            let low = message.getInteger(at: start + 2, as: UInt16.self)
        else { return nil }
        let bodyLength = Int(high) << 16 | Int(low)
        // The smallest number of bytes that could carry it: one record header plus the message.
        guard Self.recordHeaderLength + Self.handshakeHeaderLength + bodyLength <= self.maxBytes else {
            throw .tooLarge.with("ClientHello of \(bodyLength) bytes exceeds the \(self.maxBytes)-byte limit")
        }
        return bodyLength
    }
}
