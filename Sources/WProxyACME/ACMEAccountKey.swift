import Crypto
import Foundation

/// The ACME account key (P-256) and the JWS (ES256, RFC 7515 flattened JSON) it signs requests with.
struct ACMEAccountKey: Sendable {
    let key: P256.Signing.PrivateKey

    init(key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.key = key
    }

    init(pem: String) throws {
        key = try P256.Signing.PrivateKey(pemRepresentation: pem)
    }

    var pem: String { key.pemRepresentation }

    /// The public key as a JWK, members in lexicographic order (the form RFC 7638 thumbprints hash).
    var jwk: String {
        let raw = key.publicKey.rawRepresentation  // x || y
        let x = Base64URL.encode(raw.prefix(32))
        let y = Base64URL.encode(raw.suffix(32))
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    /// RFC 7638 thumbprint, for HTTP-01 key authorizations.
    var thumbprint: String { Base64URL.encode(SHA256.hash(data: Array(jwk.utf8))) }

    /// A signed request body. `kid` nil: the key itself is sent (newAccount).
    /// `payload` nil: POST-as-GET (empty payload).
    func sign(url: String, nonce: String, kid: String?, payload: String?) throws -> [UInt8] {
        let keyMember = kid.map { #""kid":\#(JSONText.quote($0))"# } ?? #""jwk":\#(jwk)"#
        let protected = #"{"alg":"ES256",\#(keyMember),"nonce":\#(JSONText.quote(nonce)),"url":\#(JSONText.quote(url))}"#
        let protected64 = Base64URL.encode(protected)
        let payload64 = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try key.signature(for: Array("\(protected64).\(payload64)".utf8))
        let signature64 = Base64URL.encode(signature.rawRepresentation)
        return Array(#"{"protected":"\#(protected64)","payload":"\#(payload64)","signature":"\#(signature64)"}"#.utf8)
    }
}

enum JSONText {
    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
