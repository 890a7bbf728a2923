import NIOCore

extension ClientHelloParser {
    static let extensionTypeServerName: UInt16 = 0
    static let serverNameTypeHostName: UInt8 = 0

    /// Walks a complete ClientHello body (RFC 8446 §4.1.2; older versions share the layout).
    ///
    /// - Returns: the normalized `host_name`, or nil when there is no `server_name` extension.
    static func parseClientHelloBody(_ body: ByteBuffer) throws(ClientHelloError) -> String? {
        var body = body
        // legacy_version (2) + random (32)
        guard body.readSlice(length: 2 + 32) != nil else {
            throw .malformedClientHello.with("shorter than version and random")
        }
        guard let sessionIDLength = body.readInteger(as: UInt8.self), sessionIDLength <= 32,
            body.readSlice(length: Int(sessionIDLength)) != nil
        else {
            throw .malformedClientHello.with("bad legacy_session_id")
        }
        guard let cipherSuitesLength = body.readInteger(as: UInt16.self),
            cipherSuitesLength >= 2, cipherSuitesLength % 2 == 0,
            body.readSlice(length: Int(cipherSuitesLength)) != nil
        else {
            throw .malformedClientHello.with("bad cipher_suites")
        }
        guard let compressionLength = body.readInteger(as: UInt8.self), compressionLength >= 1,
            body.readSlice(length: Int(compressionLength)) != nil
        else {
            throw .malformedClientHello.with("bad legacy_compression_methods")
        }
        // Hellos from before RFC 5246 may end here, without an extensions block.
        if body.readableBytes == 0 {
            return nil
        }
        guard let extensionsLength = body.readInteger(as: UInt16.self),
            Int(extensionsLength) == body.readableBytes
        else {
            throw .malformedExtensions.with("extensions length does not match the rest of the ClientHello")
        }

        var sawServerName = false
        var serverName: String? = nil
        while body.readableBytes > 0 {
            guard let type = body.readInteger(as: UInt16.self),
                let length = body.readInteger(as: UInt16.self),
                let data = body.readSlice(length: Int(length))
            else {
                throw .malformedExtensions.with("extension overflows the extensions block")
            }
            guard type == Self.extensionTypeServerName else { continue }
            guard !sawServerName else {
                throw .malformedExtensions.with("duplicate server_name extension")
            }
            sawServerName = true
            serverName = try Self.parseServerNameExtension(data)
        }
        return serverName
    }

    /// Parses `ServerNameList` (RFC 6066 §3).
    static func parseServerNameExtension(_ data: ByteBuffer) throws(ClientHelloError) -> String? {
        var data = data
        guard let listLength = data.readInteger(as: UInt16.self), listLength > 0,
            Int(listLength) == data.readableBytes
        else {
            throw .malformedExtensions.with("server_name list length does not match the extension")
        }
        var hostName: String? = nil
        while data.readableBytes > 0 {
            guard let nameType = data.readInteger(as: UInt8.self),
                let nameLength = data.readInteger(as: UInt16.self), nameLength > 0,
                let name = data.readSlice(length: Int(nameLength))
            else {
                throw .malformedExtensions.with("server_name entry overflows its list")
            }
            // Other name types have never been defined; every implementation frames them the same way.
            guard nameType == Self.serverNameTypeHostName else { continue }
            guard hostName == nil else {
                throw .malformedExtensions.with("more than one host_name")
            }
            hostName = try Self.normalizedHostName(name)
        }
        return hostName
    }

    /// The lowercased name without a trailing dot, if it is a plausible DNS name: ASCII letters,
    /// digits, `-` and `_`, labels of 1...63 bytes, at most 255 bytes in all.
    static func normalizedHostName(_ name: ByteBuffer) throws(ClientHelloError) -> String {
        var bytes = Array(name.readableBytesView)
        if bytes.last == UInt8(ascii: ".") {
            bytes.removeLast()
        }
        guard !bytes.isEmpty, bytes.count <= 255 else {
            throw .invalidServerName.with("length \(name.readableBytes)")
        }
        var labelLength = 0
        for index in bytes.indices {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                bytes[index] = byte + (UInt8(ascii: "a") - UInt8(ascii: "A"))
                labelLength += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"):
                labelLength += 1
            case UInt8(ascii: "."):
                guard labelLength > 0 else { throw .invalidServerName.with("empty label") }
                labelLength = 0
                continue
            default:
                throw .invalidServerName.with("byte 0x\(String(byte, radix: 16)) is not allowed in a host name")
            }
            guard labelLength <= 63 else { throw .invalidServerName.with("label longer than 63 bytes") }
        }
        guard labelLength > 0 else { throw .invalidServerName.with("empty label") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
