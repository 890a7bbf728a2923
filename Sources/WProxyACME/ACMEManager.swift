import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import WProxyConfig
import WProxyTLS

/// Keeps one TLS listener supplied with an ACME certificate for its domains.
///
/// At start the stored certificate is served if it covers the domains and has not expired, else a
/// self-signed placeholder. In the background it orders a certificate when there is none or when
/// a third of its lifetime remains, stores it (key 0600) and swaps the listener's TLS context,
/// so new handshakes get it with no restart and open connections keep theirs. A failed order is
/// logged with the CA's problem document and retried with exponential back-off (1 minute doubling
/// to 1 hour) while the listener keeps serving what it has.
package final class ACMEManager: Sendable {
    package let options: ACMEOptions
    package let contexts: ServerTLSContextBox
    let storage: ACMEStorage
    let logger: Logger
    /// TLS-ALPN-01 answers, for the listener's acceptor to consult.
    package let alpnChallenges = TLSALPNChallenges()
    let preferHTTP01: Bool
    private let state: Mutex<State>

    struct State {
        var certificate: ServerCertificate?
        var renewNow: Bool
    }

    static let firstBackoff: Duration = .seconds(60)
    static let maxBackoff: Duration = .seconds(3600)

    /// - Parameter preferHTTP01: a `--redirect-http` listener answers HTTP-01; without one TLS-ALPN-01
    ///   on the TLS listener itself is used (the CA then connects to port 443 of each domain).
    package init(options: ACMEOptions, preferHTTP01: Bool, logger: Logger) throws(TLSSetupError) {
        self.options = options
        self.preferHTTP01 = preferHTTP01
        self.logger = logger
        storage = ACMEStorage(options: options)
        try storage.prepare()
        var stored: ServerCertificate?
        if let pem = storage.read(storage.certificatePath), let keyPEM = storage.read(storage.keyPath) {
            do {
                let certificate = try Self.certificate(pem: pem, keyPEM: keyPEM)
                let now = Int(Date().timeIntervalSince1970)
                if certificate.notValidAfter > now, Set(options.domains).isSubset(of: Set(certificate.names)) {
                    stored = certificate
                    logger.info("ACME: using the stored certificate for \(options.domains.joined(separator: ", "))",
                        metadata: ["sha256": "\(certificate.fingerprint)", "expires": "\(Self.date(certificate.notValidAfter))"])
                }
            } catch {
                logger.warning("ACME: ignoring the stored certificate \(storage.certificatePath): \(error)")
            }
        }
        let serving: ServerCertificate
        if let stored {
            serving = stored
        } else {
            serving = try SelfSignedCertificate.make(names: options.domains, validity: .seconds(7 * 86400))
            logger.notice("ACME: no certificate yet for \(options.domains.joined(separator: ", ")); serving a self-signed placeholder")
        }
        contexts = ServerTLSContextBox(try ServerTLSContext.make(certificates: [serving], logger: logger))
        state = Mutex(State(certificate: stored, renewNow: options.renewAtStart))
    }

    /// The certificate now served from ACME (nil while the placeholder is served).
    package var certificate: ServerCertificate? { state.withLock { $0.certificate } }

    /// How long until the certificate should be renewed (zero: now).
    func timeUntilRenewal(now: Int = Int(Date().timeIntervalSince1970)) -> Duration {
        state.withLock { state in
            guard let certificate = state.certificate, !state.renewNow else { return .zero }
            let lifetime = certificate.notValidAfter - certificate.notValidBefore
            let renewAt = certificate.notValidAfter - lifetime / 3
            return .seconds(max(renewAt - now, 0))
        }
    }

    /// Orders, stores and installs a new certificate.
    func renew(group: any EventLoopGroup) async throws {
        let client = try makeClient(group: group)
        logger.info("ACME: ordering a certificate for \(options.domains.joined(separator: ", ")) from \(options.directory)")
        let key = P256.Signing.PrivateKey()
        let pem = try await client.issue(domains: options.domains, certificateKey: key)
        try install(pem: pem, key: key)
    }

    // Kept synchronous: the lock and file work stay out of the async function (whose coroutine
    // splitting crashed the 6.3 compiler in release builds with them inline).
    private func makeClient(group: any EventLoopGroup) throws -> ACMEClient {
        let accountKey: ACMEAccountKey
        if let pem = storage.read(storage.accountKeyPath) {
            accountKey = try ACMEAccountKey(pem: pem)
        } else {
            accountKey = ACMEAccountKey()
            try storage.write(accountKey.pem, to: storage.accountKeyPath)
        }
        let http = try ACMEHTTPClient(group: group, caFile: options.caFile)
        return ACMEClient(
            http: http, directoryURL: options.directory, accountKey: accountKey, email: options.email,
            challenges: .shared, alpnChallenges: alpnChallenges, preferHTTP01: preferHTTP01, logger: logger)
    }

    private func install(pem: String, key: P256.Signing.PrivateKey) throws {
        let certificate = try Self.certificate(pem: pem, keyPEM: key.pemRepresentation)
        try storage.write(key.pemRepresentation, to: storage.keyPath)
        try storage.write(pem, to: storage.certificatePath)
        contexts.replace(try ServerTLSContext.make(certificates: [certificate], logger: logger))
        state.withLock {
            $0.certificate = certificate
            $0.renewNow = false
        }
        logger.notice("ACME: new certificate for \(options.domains.joined(separator: ", ")) installed",
            metadata: ["sha256": "\(certificate.fingerprint)", "expires": "\(Self.date(certificate.notValidAfter))"])
    }

    /// Renews whenever due until cancelled.
    func run(group: any EventLoopGroup) async {
        var backoff = Self.firstBackoff
        while !Task.isCancelled {
            let wait = timeUntilRenewal()
            if wait > .zero {
                // Wake up at least twice a day (clock changes, suspended machines).
                try? await Task.sleep(for: min(wait, .seconds(12 * 3600)))
                continue
            }
            do {
                try await renew(group: group)
                backoff = Self.firstBackoff
            } catch is CancellationError {
                return
            } catch {
                logger.error("ACME: certificate order failed (next try in \(backoff)): \(error)")
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, Self.maxBackoff)
            }
        }
    }

    static func certificate(pem: String, keyPEM: String) throws -> ServerCertificate {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        return try ServerCertificate(chain: chain, key: key)
    }

    static func date(_ seconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }
}

/// Runs an ``ACMEManager`` for the listener's life.
package struct ACMEService: Service {
    let manager: ACMEManager
    let group: any EventLoopGroup

    package init(manager: ACMEManager, group: any EventLoopGroup) {
        self.manager = manager
        self.group = group
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await manager.run(group: group)
        }
    }
}
