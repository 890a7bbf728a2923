import ArgumentParser
import WProxyConfig

/// `wproxy reverse` TLS options: HTTPS serving (certificate files, self-signed or ACME), the
/// `--redirect-http` listener, HTTP/2 limits and trust for `https://` upstreams.
struct ReverseTLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp(
        "PEM certificate chain to serve HTTPS with (pairs with --tls-key; repeatable: chosen by SNI, the first is the default).",
        valueName: "file"))
    var certificates: [String] = []

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key (RSA or ECDSA) of the --tls-cert at the same position.", valueName: "file"))
    var keys: [String] = []

    @Flag(name: .customLong("tls-self-signed"), help: "Serve HTTPS with a certificate generated at start (dev use).")
    var selfSigned = false

    @Option(name: .customLong("acme"), help: ArgumentHelp("Get certificates for DOMAIN automatically (RFC 8555). Repeatable.", valueName: "domain"))
    var acmeDomains: [String] = []

    @Option(name: .customLong("acme-email"), help: ArgumentHelp("Contact address for the ACME account.", valueName: "email"))
    var acmeEmail: String?

    @Option(name: .customLong("acme-directory"), help: ArgumentHelp("ACME directory URL (default: Let's Encrypt).", valueName: "url"))
    var acmeDirectory: String?

    @Option(name: .customLong("acme-ca"), help: ArgumentHelp("PEM roots to trust for the ACME directory's HTTPS (a test CA).", valueName: "file"))
    var acmeCA: String?

    @Option(name: .customLong("acme-storage"), help: ArgumentHelp("Where ACME keys and certificates are kept.", valueName: "dir"))
    var acmeStorage: String = ACMEOptions.defaultStorage

    @Flag(name: .customLong("acme-renew-now"), help: ArgumentHelp("Order a new certificate at start even if the stored one is good.", visibility: .hidden))
    var acmeRenewNow = false

    @Option(name: .customLong("redirect-http"), help: ArgumentHelp(
        "Plain-HTTP listener that answers ACME HTTP-01 challenges and redirects everything else to HTTPS (308).",
        valueName: "addr"))
    var redirectHTTP: String?

    @Option(name: .customLong("h2-max-streams"), help: ArgumentHelp("HTTP/2 concurrent streams per connection.", valueName: "n"))
    var h2MaxStreams: Int = 100

    @Option(name: .customLong("upstream-ca"), help: ArgumentHelp("PEM roots to trust for https:// upstreams (default: the system store).", valueName: "file"))
    var upstreamCA: String?

    @Flag(name: .customLong("upstream-insecure"), help: "Do not verify the certificates of https:// upstreams (dev use).")
    var upstreamInsecure = false

    func apply(to options: inout ReverseOptions) throws {
        guard certificates.count == keys.count else {
            throw ValidationError("--tls-cert and --tls-key come in pairs: got \(certificates.count) certificates and \(keys.count) keys")
        }
        var settings = ReverseTLSSettings()
        var server = ServerTLSOptions()
        server.certificates = zip(certificates, keys).map { CertificateFiles(certificate: $0, key: $1) }
        server.selfSigned = selfSigned
        if !acmeDomains.isEmpty {
            var acme = ACMEOptions(domains: acmeDomains.map { $0.lowercased() })
            acme.email = acmeEmail
            if let acmeDirectory { acme.directory = acmeDirectory }
            acme.caFile = acmeCA
            acme.storage = acmeStorage
            acme.renewAtStart = acmeRenewNow
            server.acme = acme
        } else if acmeEmail != nil || acmeDirectory != nil || acmeCA != nil {
            throw ValidationError("--acme-email, --acme-directory and --acme-ca need --acme DOMAIN")
        }
        let modes = [!server.certificates.isEmpty, selfSigned, server.acme != nil].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("--tls-cert, --tls-self-signed and --acme: choose one") }
        if modes == 1 { settings.server = server }
        if let redirectHTTP {
            settings.redirectHTTP = try parseFlag("--redirect-http", redirectHTTP, ListenAddress.init(parsing:))
            guard settings.server != nil else { throw ValidationError("--redirect-http: needs --tls-cert, --tls-self-signed or --acme") }
        }
        guard (1...ReverseTLSSettings.maxH2Streams).contains(h2MaxStreams) else {
            throw ValidationError("--h2-max-streams: must be from 1 to \(ReverseTLSSettings.maxH2Streams), not \(h2MaxStreams)")
        }
        settings.h2MaxStreams = h2MaxStreams
        settings.upstreamCA = upstreamCA
        settings.upstreamInsecure = upstreamInsecure
        if upstreamInsecure && upstreamCA != nil { throw ValidationError("--upstream-insecure and --upstream-ca: choose one") }
        if (upstreamInsecure || upstreamCA != nil) && !options.upstreams.contains(where: { $0.scheme == .https }) {
            throw ValidationError("--upstream-ca / --upstream-insecure: need an https:// --upstream")
        }
        for domain in acmeDomains where !ReverseTLSSettings.isDomainName(domain) {
            throw ValidationError("--acme: '\(domain)' is not a domain name")
        }
        options.tls = settings
    }
}
