import NIOCore

extension ByteBuffer {
    /// Reads a PROXY header of either version, chosen by its first byte (`P` for v1, `\r` for v2).
    ///
    /// - Parameter maxV2Length: the limit passed to ``readProxyHeaderV2(maxLength:)``.
    /// - Returns: the header, or nil when more bytes are needed (including when none are readable).
    /// - Throws: ``ProxyProtocolError`` when the bytes are neither version, or are a bad header.
    /// The reader index moves past the header on success and stays put on nil or throw.
    package mutating func readProxyHeader(
        maxV2Length: Int = ByteBuffer.proxyHeaderV2DefaultMaxLength
    ) throws(ProxyProtocolError) -> ProxyHeader? {
        guard let first = self.getInteger(at: self.readerIndex, as: UInt8.self) else { return nil }
        switch first {
        case Self.proxyHeaderV1Prefix[0]:
            return try self.readProxyHeaderV1()
        case Self.proxyHeaderV2Signature[0]:
            return try self.readProxyHeaderV2(maxLength: maxV2Length)
        default:
            throw .notProxyProtocol.with("first byte 0x\(String(first, radix: 16))")
        }
    }
}
