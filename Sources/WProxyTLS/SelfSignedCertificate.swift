import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Makes a P-256 certificate signed by its own key, for `--tls-self-signed` and for the placeholder
/// an ACME listener presents until its first certificate arrives.
package enum SelfSignedCertificate {
    /// - Parameters:
    ///   - names: DNS names and IP addresses for the subjectAltName (IP literals become IP entries).
    ///   - validity: from one hour ago (clock skew) for this long.
    package static func make(names: [String], validity: Duration = .seconds(365 * 86400)) throws(TLSSetupError) -> ServerCertificate {
        do {
            let key = P256.Signing.PrivateKey()
            let (pem, _) = try makePEM(names: names, key: key, validity: validity, extraExtension: nil)
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            let sslKey = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
            return try ServerCertificate(chain: chain, key: sslKey)
        } catch let error as TLSSetupError {
            throw error
        } catch {
            throw TLSSetupError("cannot make a self-signed certificate: \(error)")
        }
    }

    /// The PEM of a self-signed certificate for `key` (also used for TLS-ALPN-01 challenge certificates).
    package static func makePEM(
        names: [String], key: P256.Signing.PrivateKey, validity: Duration, extraExtension: Certificate.Extension?
    ) throws -> (pem: String, der: [UInt8]) {
        var unique: [String] = []
        for name in names where !unique.contains(name.lowercased()) { unique.append(name.lowercased()) }
        let commonName = unique.first { !isIPAddress($0) } ?? unique.first ?? "wproxy"
        let subject = try DistinguishedName {
            OrganizationName("wproxy self-signed")
            CommonName(commonName)
        }
        let sans: [GeneralName] = unique.map { name in
            if let bytes = ipBytes(name) { return .ipAddress(ASN1OctetString(contentBytes: bytes[...])) }
            return .dnsName(name)
        }
        let now = Date()
        var extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(sans)
        }
        if let extraExtension { try extensions.append(extraExtension) }
        var serial = [UInt8](repeating: 0, count: 16)
        for index in serial.indices { serial[index] = UInt8.random(in: 0...255) }
        serial[0] &= 0x7F
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(bytes: serial[...]),
            publicKey: .init(key.publicKey),
            notValidBefore: now - 3600,
            notValidAfter: now + Double(validity.components.seconds),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        return (PEMDocument(type: "CERTIFICATE", derBytes: der).pemString, der)
    }

    static func isIPAddress(_ text: String) -> Bool { ipBytes(text) != nil }

    /// The bytes of an IPv4 or IPv6 literal, or nil.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
