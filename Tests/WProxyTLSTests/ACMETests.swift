import Crypto
import Foundation
import Testing
@testable import WProxyACME

@Suite struct ACMETests {
    @Test func base64URL() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xFE]) == "-__-")
        #expect(Base64URL.encode("a") == "YQ")
        #expect(Base64URL.encode([UInt8]()) == "")
    }

    @Test func jwsIsAVerifiableES256Signature() throws {
        let key = ACMEAccountKey()
        let body = try key.sign(url: "https://ca.test/new-acct", nonce: "n0nce", kid: nil, payload: #"{"a":1}"#)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
        let protected = try #require(json["protected"])
        let payload = try #require(json["payload"])
        let signature = try #require(decode(json["signature"] ?? ""))
        #expect(signature.count == 64)
        let valid = key.key.publicKey.isValidSignature(
            try P256.Signing.ECDSASignature(rawRepresentation: signature), for: Array("\(protected).\(payload)".utf8))
        #expect(valid)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(decode(protected) ?? [])) as? [String: Any])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["nonce"] as? String == "n0nce")
        #expect(header["url"] as? String == "https://ca.test/new-acct")
        #expect(header["jwk"] != nil && header["kid"] == nil)
        let withKID = try key.sign(url: "https://ca.test/x", nonce: "n", kid: "https://ca.test/acct/1", payload: nil)
        let signed = try #require(try JSONSerialization.jsonObject(with: Data(withKID)) as? [String: String])
        #expect(signed["payload"] == "")  // POST-as-GET
        let kidHeader = try #require(try JSONSerialization.jsonObject(with: Data(decode(signed["protected"]!)!)) as? [String: Any])
        #expect(kidHeader["kid"] as? String == "https://ca.test/acct/1" && kidHeader["jwk"] == nil)
    }

    @Test func thumbprintIsStableAndKeyRoundTrips() throws {
        let key = ACMEAccountKey()
        let again = try ACMEAccountKey(pem: key.pem)
        #expect(key.thumbprint == again.thumbprint)
        #expect(key.thumbprint.count == 43)
        #expect(key.jwk.hasPrefix(#"{"crv":"P-256","kty":"EC","x":""#))
    }

    @Test func csrCarriesTheDomains() throws {
        let der = try ACMEClient.csr(domains: ["a.test", "b.test"], key: P256.Signing.PrivateKey())
        #expect(der.count > 100)
        #expect(String(decoding: der, as: UTF8.self).contains("a.test"))
        #expect(String(decoding: der, as: UTF8.self).contains("b.test"))
    }

    @Test func urlParts() throws {
        let plain = try ACMEHTTPClient.URLParts("http://127.0.0.1:14000/dir?x=1")
        #expect(!plain.https && plain.host == "127.0.0.1" && plain.port == 14000 && plain.target == "/dir?x=1")
        let tls = try ACMEHTTPClient.URLParts("https://acme-v02.api.letsencrypt.org/directory")
        #expect(tls.https && tls.port == 443 && tls.hostHeader == "acme-v02.api.letsencrypt.org")
        let v6 = try ACMEHTTPClient.URLParts("https://[::1]:8443")
        #expect(v6.host == "::1" && v6.port == 8443 && v6.target == "/" && v6.hostHeader == "[::1]:8443")
        #expect(throws: ACMEError.self) { try ACMEHTTPClient.URLParts("ftp://x") }
    }

    @Test func redirectHost() {
        #expect(RedirectHandler.host("example.test:8080") == "example.test")
        #expect(RedirectHandler.host("[::1]:80") == "[::1]")
        #expect(RedirectHandler.host("a b") == nil)
        #expect(RedirectHandler.host("") == nil)
        #expect(RedirectHandler.host(nil) == nil)
        #expect(RedirectHandler.host("evil.test/path") == nil)
    }

    @Test func storageFolders() {
        #expect(ACMEStorage.folderName(forDirectory: "https://acme-v02.api.letsencrypt.org/directory") == "acme-v02.api.letsencrypt.org")
        #expect(ACMEStorage.folderName(forDirectory: "https://127.0.0.1:14000/dir") == "127.0.0.1_14000")
        #expect(ACMEStorage.safe("../x") == ".._x")
    }

    @Test func jsonQuote() {
        #expect(JSONText.quote("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
    }

    private func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
