/// The TLS layer's options for one `reverse` listener (SPEC "reverse": `--tls-*`, `--acme*`,
/// `--redirect-http`, `--h2-max-streams`, `--upstream-ca`, `--upstream-insecure`).
/// Kept in one value so the reverse options carry a single field for it.
package struct ReverseTLSSettings: Sendable, Hashable {
    /// How the listener serves HTTPS; nil: plain HTTP.
    package var server: ServerTLSOptions?
    /// `--upstream-ca FILE`: PEM roots trusted for `https://` upstreams instead of the system store.
    package var upstreamCA: String?
    /// `--upstream-insecure`: no certificate verification for `https://` upstreams (dev use).
    package var upstreamInsecure: Bool = false
    /// `--h2-max-streams N`: HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    package var h2MaxStreams: Int = 100
    /// `--redirect-http ADDR`: a plain listener for ACME HTTP-01 and 308 redirects to HTTPS.
    package var redirectHTTP: ListenAddress?
    /// Set on the listener generated for `--redirect-http`: it only redirects (and answers HTTP-01).
    package var redirectOnly: HTTPSRedirect?

    package init() {}

    package static let maxH2Streams = 10_000
}

/// How a listener gets its certificates.
package struct ServerTLSOptions: Sendable, Hashable {
    /// `--tls-cert`/`--tls-key` pairs; the first is the default for unknown or missing SNI.
    package var certificates: [CertificateFiles] = []
    /// `--tls-self-signed`.
    package var selfSigned: Bool = false
    /// `--acme DOMAIN...`.
    package var acme: ACMEOptions?

    package init(certificates: [CertificateFiles] = [], selfSigned: Bool = false, acme: ACMEOptions? = nil) {
        self.certificates = certificates
        self.selfSigned = selfSigned
        self.acme = acme
    }
}

/// A PEM certificate chain file and its private key file.
package struct CertificateFiles: Sendable, Hashable, CustomStringConvertible {
    package var certificate: String
    package var key: String

    package init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    package var description: String { "\(certificate) + \(key)" }
}

/// `--acme*`: automatic certificates (RFC 8555).
package struct ACMEOptions: Sendable, Hashable {
    package static let letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"
    package static let defaultStorage = "./wproxy-data/acme"

    package var domains: [String]
    package var email: String?
    package var directory: String = letsEncryptDirectory
    /// PEM roots trusted for the directory's TLS certificate (a test CA such as Pebble).
    package var caFile: String?
    package var storage: String = defaultStorage
    /// Order a new certificate at start even when the stored one is still good (tests, key rollover).
    package var renewAtStart: Bool = false

    package init(domains: [String]) {
        self.domains = domains
    }
}

/// What the `--redirect-http` listener redirects to.
package struct HTTPSRedirect: Sendable, Hashable {
    /// The HTTPS port named in `Location` (left out when 443 or unknown).
    package var httpsPort: Int?

    package init(httpsPort: Int?) {
        self.httpsPort = httpsPort
    }
}

extension ReverseTLSSettings {
    /// Problems with the TLS options of one reverse listener.
    package func validationErrors(upstreams: [HTTPUpstream]) -> [String] {
        var errors: [String] = []
        if let server {
            var ways = 0
            if !server.certificates.isEmpty { ways += 1 }
            if server.selfSigned { ways += 1 }
            if server.acme != nil { ways += 1 }
            if ways > 1 { errors.append("tls: choose one of certificate files, self-signed or acme") }
            if ways == 0 { errors.append("tls: needs certificate files, self-signed or acme") }
            for pair in server.certificates {
                if pair.certificate.isEmpty || pair.key.isEmpty { errors.append("tls: empty certificate or key file name") }
            }
            if let acme = server.acme {
                if acme.domains.isEmpty { errors.append("acme: needs at least one domain") }
                for domain in acme.domains where !Self.isDomainName(domain) {
                    errors.append("acme: '\(domain)' is not a domain name")
                }
                if !(acme.directory.hasPrefix("https://") || acme.directory.hasPrefix("http://")) {
                    errors.append("acme: directory '\(acme.directory)' is not an http(s):// URL")
                }
                if acme.storage.isEmpty { errors.append("acme: empty storage directory") }
            }
        } else if redirectHTTP != nil {
            errors.append("redirect-http needs HTTPS on the listener (tls certificates, self-signed or acme)")
        }
        if !(1...Self.maxH2Streams).contains(h2MaxStreams) {
            errors.append("h2-max-streams must be from 1 to \(Self.maxH2Streams)")
        }
        if upstreamInsecure && upstreamCA != nil {
            errors.append("upstream-insecure and upstream-ca cannot be combined")
        }
        if (upstreamInsecure || upstreamCA != nil) && !upstreams.contains(where: { $0.scheme == .https }) && redirectOnly == nil {
            errors.append("upstream-ca / upstream-insecure need an https:// upstream")
        }
        return errors
    }

    /// Letters, digits, hyphens and dots, with an optional leading `*.` (DNS names as ACME takes them).
    package static func isDomainName(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasPrefix("*.") { name = name.dropFirst(2) }
        guard !name.isEmpty, name.count <= 253, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains("..") else {
            return false
        }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}

extension ReverseTLSSettings {
    /// The TLS part of a listener's `wproxy check` line.
    var summary: String {
        if redirectOnly != nil { return ", redirects to https (and answers ACME http-01)" }
        guard let server else { return "" }
        if server.selfSigned { return ", https (self-signed)" }
        if let acme = server.acme { return ", https (acme: \(acme.domains.joined(separator: ", ")))" }
        return ", https (\(server.certificates.count) certificate\(server.certificates.count == 1 ? "" : "s"))"
    }
}

extension Configuration {
    /// Adds the plain listener of every reverse listener that has `--redirect-http`, after all the
    /// configured ones (so listener indices, used for file:line in errors, stay as written).
    package func withRedirectListeners() -> Configuration {
        var result = self
        for listener in listeners {
            guard listener.mode == .reverse, let reverse = listener.reverse, let address = reverse.tls.redirectHTTP else {
                continue
            }
            var redirect = ListenerConfig(mode: .reverse, listen: [address])
            redirect.name = "\(address) (redirect)"
            redirect.maxConnections = listener.maxConnections
            var options = ReverseOptions()
            options.headerTimeout = reverse.headerTimeout
            let port = listener.listen.first?.port
            options.tls.redirectOnly = HTTPSRedirect(httpsPort: port == 0 || port == 443 ? nil : port)
            redirect.reverse = options
            result.listeners.append(redirect)
        }
        return result
    }
}
