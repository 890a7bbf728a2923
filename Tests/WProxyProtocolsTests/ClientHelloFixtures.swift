import NIOCore

/// ClientHello bytes for the SNI tests.
///
/// The two captures are what `openssl s_client` (OpenSSL 3.0.19) sent to a Python socket that
/// only recorded them:
///
///     openssl s_client -connect 127.0.0.1:PORT -servername example.test </dev/null
///     openssl s_client -connect 127.0.0.1:PORT -noservername </dev/null
///
/// Each is one TLS record holding the whole ClientHello (TLS 1.3 with 1.2 fallback).
enum ClientHelloFixtures {
    /// 318 bytes, `server_name` = `example.test`.
    static let opensslWithSNI = [UInt8](
        hex: """
        1603010139010001350303f35d5de2a377dce378dda1883eee88339031accd8abc33dd82bb0c3666c0f5dc20204b64f5
        de096ce82f830ba48ae739f4da91244b1d455222d761eec149936097003e130213031301c02cc030009fcca9cca8ccaa
        c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000ae
        00000011000f00000c6578616d706c652e74657374000b000403000102000a00160014001d0017001e00190018010001
        01010201030104002300000016000000170000000d002a0028040305030603080708080809080a080b08040805080604
        0105010601030303010302040205020602002b0009080304030303020301002d00020101003300260024001d002077ce
        feeb22ea017a0f21f4516514a8c4c6de823ae159b1863e23715fadea6079
        """
    )

    /// 297 bytes, no `server_name` extension.
    static let opensslWithoutSNI = [UInt8](
        hex: """
        16030101240100012003034d6a0020e62b377af5ed0e281ffd3be12f1c50a0da4ada364fdb54d2c952cde620df087b19
        1f5c490107d81f8893e5d748d2db3539fd6db6903255a1141a51dc0b003e130213031301c02cc030009fcca9cca8ccaa
        c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff01000099
        000b000403000102000a00160014001d0017001e0019001801000101010201030104002300000016000000170000000d
        002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b0009
        080304030303020301002d00020101003300260024001d00204ba99ffcb60b7bb0c562e7686b1ba174f97f7bcc8a07e4
        eb54f0f1d26a697021
        """
    )
}

/// Builds ClientHellos field by field, so tests can make minimal ones and break single lengths.
struct ClientHelloBuilder {
    var legacyVersion: [UInt8] = [0x03, 0x03]
    var sessionID: [UInt8] = []
    var cipherSuites: [UInt8] = [0x13, 0x01]
    var compressionMethods: [UInt8] = [0x00]
    /// nil leaves out the extensions block, as pre-RFC 5246 clients do.
    var extensions: [(type: UInt16, data: [UInt8])]? = []

    /// A ClientHello with only a `server_name` extension holding `host_name` entries.
    static func withServerName(_ names: String...) -> ClientHelloBuilder {
        var builder = ClientHelloBuilder()
        builder.extensions = [(0, Self.serverNameExtension(names.map { (0, Array($0.utf8)) }))]
        return builder
    }

    /// `ServerNameList` bytes: a 16-bit list length, then type / 16-bit length / name entries.
    static func serverNameExtension(_ entries: [(type: UInt8, name: [UInt8])]) -> [UInt8] {
        var list: [UInt8] = []
        for entry in entries {
            list += [entry.type] + Self.u16(entry.name.count) + entry.name
        }
        return Self.u16(list.count) + list
    }

    var body: [UInt8] {
        var body = self.legacyVersion + [UInt8](repeating: 0xAB, count: 32)
        body += [UInt8(self.sessionID.count)] + self.sessionID
        body += Self.u16(self.cipherSuites.count) + self.cipherSuites
        body += [UInt8(self.compressionMethods.count)] + self.compressionMethods
        if let extensions = self.extensions {
            let block = extensions.flatMap { Self.u16(Int($0.type)) + Self.u16($0.data.count) + $0.data }
            body += Self.u16(block.count) + block
        }
        return body
    }

    /// The handshake message: type 1, 24-bit length, body.
    var handshake: [UInt8] {
        let body = self.body
        return [0x01, UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    /// The handshake message in one record.
    var record: [UInt8] {
        Self.records(self.handshake)
    }

    /// `message` cut into handshake records of at most `fragmentSize` payload bytes.
    static func records(_ message: [UInt8], fragmentSize: Int = 16384, version: [UInt8] = [0x03, 0x01]) -> [UInt8] {
        stride(from: 0, to: message.count, by: fragmentSize).flatMap { start in
            let fragment = message[start..<min(start + fragmentSize, message.count)]
            return [0x16] + version + Self.u16(fragment.count) + fragment
        }
    }

    /// `message` cut into two handshake records at `split`.
    static func records(_ message: [UInt8], splitAt split: Int) -> [UInt8] {
        Self.records(Array(message[..<split])) + Self.records(Array(message[split...]))
    }

    static func u16(_ value: Int) -> [UInt8] {
        [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
