import Crypto
import NIOSSL
import SwiftASN1
import WProxyConfig
import X509

/// One certificate chain with its private key, as a TLS server presents it, plus what the SNI
/// selection and the logs need to know about it. Immutable.
package struct ServerCertificate: Sendable {
    package let chain: [NIOSSLCertificate]
    package let key: NIOSSLPrivateKey
    /// DNS names and IP addresses from the leaf's subjectAltName (its common name when it has none).
    package let names: [String]
    /// The leaf's validity, in seconds since 1970.
    package let notValidBefore: Int
    package let notValidAfter: Int
    /// SHA-256 of the leaf certificate's DER, as colon-separated upper-case hex.
    package let fingerprint: String
    /// The override the SNI callback hands to BoringSSL (built once).
    let override: NIOSSLContextConfigurationOverride

    package init(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws(TLSSetupError) {
        guard let leaf = chain.first else { throw TLSSetupError("no certificate in the chain") }
        self.chain = chain
        self.key = key
        let der: [UInt8]
        do {
            der = try leaf.toDERBytes()
        } catch {
            throw TLSSetupError("cannot encode the certificate: \(error)")
        }
        fingerprint = Self.fingerprint(der: der)
        notValidBefore = Int(leaf.notValidBefore)
        notValidAfter = Int(leaf.notValidAfter)
        names = Self.names(der: der)
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        self.override = override
    }

    /// Loads a PEM chain (leaf first) and a PEM private key (RSA or ECDSA; PKCS#1, SEC1 or PKCS#8).
    package static func load(_ files: CertificateFiles) throws(TLSSetupError) -> ServerCertificate {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw TLSSetupError("cannot load certificate chain \(files.certificate): \(describe(error))")
        }
        guard !chain.isEmpty else { throw TLSSetupError("no PEM certificate in \(files.certificate)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw TLSSetupError("cannot load private key \(files.key): \(describe(error))")
        }
        let certificate = try ServerCertificate(chain: chain, key: key)
        try certificate.checkKeyMatches(files)
        return certificate
    }

    /// Fails when the key is not the leaf certificate's (BoringSSL would only notice mid-handshake).
    private func checkKeyMatches(_ files: CertificateFiles) throws(TLSSetupError) {
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError("private key \(files.key) does not match certificate \(files.certificate): \(Self.describe(error))")
        }
    }

    static func fingerprint(der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    static func names(der: [UInt8]) -> [String] {
        guard let certificate = try? Certificate(derEncoded: der) else { return [] }
        var names: [String] = []
        if let sans = try? certificate.extensions.subjectAlternativeNames {
            for name in sans {
                switch name {
                case .dnsName(let dns): names.append(dns.lowercased())
                case .ipAddress(let octets): if let text = IPText.format(Array(octets.bytes)) { names.append(text) }
                default: break
                }
            }
        }
        if names.isEmpty {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    names.append("\(attribute.value)".lowercased())
                }
            }
        }
        return names
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError {
            switch error {
            case .failedToLoadCertificate: return "not a readable PEM certificate file"
            case .failedToLoadPrivateKey: return "not a readable PEM private key file"
            default: return "\(error)"
            }
        }
        if let error = error as? BoringSSLError { return "\(error)" }
        return "\(error)"
    }
}

/// Formats 4- or 16-byte IP addresses as text (IPv6 in full, lower-case, zero-compressed).
enum IPText {
    static func format(_ bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return nil }
        var groups: [UInt16] = []
        for index in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])) }
        // The longest run of zero groups (at least two) becomes "::".
        var bestStart = -1, bestLength = 0, start = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if start < 0 { start = index }
                if index - start + 1 > bestLength { bestStart = start; bestLength = index - start + 1 }
            } else {
                start = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
