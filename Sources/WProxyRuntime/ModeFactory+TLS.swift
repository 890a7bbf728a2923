import Logging
import NIOCore
import WProxyACME
import WProxyConfig
import WProxyCore
import WProxyReverse
import WProxyTLS

extension ModeFactory {
    /// Puts TLS in front of a reverse listener: certificate files are read now (so a reload picks up
    /// files changed on disk), a self-signed certificate is made once and kept across reloads.
    static func secureReverse(
        _ proxy: ReverseProxy, listener: ListenerConfig, server: ServerTLSOptions, previous: (any ConnectionAcceptor)?,
        logger: Logger
    ) throws(RuntimeError) -> ModeInstance {
        let handshakeTimeout = TimeAmount(listener.reverse?.headerTimeout ?? .seconds(10))
        if let acme = server.acme {
            do {
                let manager = try ACMEManager(
                    options: acme, preferHTTP01: listener.reverse?.tls.redirectHTTP != nil, logger: logger)
                let acceptor = TLSServerAcceptor(
                    application: proxy, contexts: manager.contexts, handshakeTimeout: handshakeTimeout, logger: logger,
                    alpnChallenges: manager.alpnChallenges)
                return ModeInstance(acceptor: acceptor, services: { group in
                    proxy.services(eventLoopGroup: group) + [ACMEService(manager: manager, group: group)]
                })
            } catch {
                throw RuntimeError("listener \(listener.displayName): \(error)")
            }
        }
        do {
            var certificates: [ServerCertificate] = []
            var selfSigned: ServerCertificate?
            if server.selfSigned {
                let names = selfSignedNames(listener.listen)
                if let old = (previous as? TLSServerAcceptor)?.selfSigned, old.names == SelfSignedNames.normalized(names) {
                    selfSigned = old
                } else {
                    let made = try SelfSignedCertificate.make(names: names)
                    logger.notice(
                        "TLS: self-signed certificate for \(made.names.joined(separator: ", ")); SHA-256 fingerprint \(made.fingerprint)")
                    selfSigned = made
                }
                certificates = [selfSigned!]
            } else {
                certificates = try server.certificates.map { files throws(TLSSetupError) in try ServerCertificate.load(files) }
                for certificate in certificates {
                    logger.info("TLS: serving certificate for \(certificate.names.joined(separator: ", "))",
                        metadata: ["sha256": "\(certificate.fingerprint)"])
                }
            }
            let context = try ServerTLSContext.make(certificates: certificates, logger: logger)
            let acceptor = TLSServerAcceptor(
                application: proxy, contexts: ServerTLSContextBox(context), handshakeTimeout: handshakeTimeout,
                logger: logger, selfSigned: selfSigned)
            return ModeInstance(acceptor: acceptor, services: { proxy.services(eventLoopGroup: $0) })
        } catch {
            throw RuntimeError("listener \(listener.displayName): \(error)")
        }
    }

    /// SANs of a self-signed certificate: the listen hosts (not wildcard addresses), localhost,
    /// 127.0.0.1 and ::1.
    static func selfSignedNames(_ listen: [ListenAddress]) -> [String] {
        var names: [String] = []
        for address in listen {
            guard let host = address.host, host != "0.0.0.0", host != "::" else { continue }
            names.append(host)
        }
        names += ["localhost", "127.0.0.1", "::1"]
        return SelfSignedNames.normalized(names)
    }
}

enum SelfSignedNames {
    /// Lower-cased, without duplicates, in order (as the certificate lists them).
    static func normalized(_ names: [String]) -> [String] {
        var result: [String] = []
        for name in names {
            let lower = name.lowercased()
            if !result.contains(lower) { result.append(lower) }
        }
        return result
    }
}
