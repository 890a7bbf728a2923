import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Builds the server-side `NIOSSLContext` of a TLS listener: TLS 1.2 and 1.3 only, ECDHE with AEAD
/// ciphers for TLS 1.2 (TLS 1.3 suites are all AEAD), ALPN `h2` and `http/1.1`, session resumption
/// through BoringSSL's defaults (stateless tickets with per-context keys, and the server session cache).
///
/// With one certificate the context carries it and no per-handshake callback is installed; with
/// several, a callback picks one by SNI (exact name, then `*.` wildcard, else the first).
package enum ServerTLSContext {
    /// TLS 1.2 suites: forward secrecy and AEAD only, ECDSA before RSA.
    package static let cipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    package static let defaultProtocols = ["h2", "http/1.1"]

    package static func make(
        certificates: [ServerCertificate], applicationProtocols: [String] = defaultProtocols, logger: Logger
    ) throws(TLSSetupError) -> NIOSSLContext {
        guard let first = certificates.first else { throw TLSSetupError("no certificate to serve") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: first.chain.map { .certificate($0) }, privateKey: .privateKey(first.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuites = cipherSuites
        configuration.applicationProtocols = applicationProtocols
        configuration.renegotiationSupport = .none
        if certificates.count > 1 {
            let selector = CertificateSelector(names: certificates.map(\.names))
            let overrides = certificates.map(\.override)
            configuration.sslContextCallback = { values, promise in
                guard let name = values.serverHostname else {
                    promise.succeed(.noChanges)
                    return
                }
                if let index = selector.match(name) {
                    promise.succeed(index == 0 ? .noChanges : overrides[index])
                } else {
                    logger.debug("TLS: no certificate for SNI '\(name.prefix(255))'; serving the default")
                    promise.succeed(.noChanges)
                }
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError("cannot set up TLS: \(ServerCertificate.describe(error))")
        }
    }
}

/// The server context a listener hands to new connections; replaced whole when certificates
/// change (ACME renewal), so handshakes in progress keep the context they started with.
package final class ServerTLSContextBox: Sendable {
    private let value: Mutex<NIOSSLContext>

    package init(_ context: NIOSSLContext) {
        value = Mutex(context)
    }

    package var current: NIOSSLContext { value.withLock { $0 } }

    package func replace(_ context: NIOSSLContext) {
        value.withLock { $0 = context }
    }
}
