import NIOCore
import NIOSSL

/// Client TLS for `https://` upstreams: one context per listener (so sessions are resumed across
/// pooled connections), SNI set to the upstream host name (not for IP literals), certificates
/// verified against the system trust store or `--upstream-ca`, or not at all with
/// `--upstream-insecure`. ALPN offers only `http/1.1`, which is what the engine speaks upstream.
package struct UpstreamTLS: Sendable {
    package let context: NIOSSLContext
    package let verifies: Bool

    package init(caFile: String?, insecure: Bool) throws(TLSSetupError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        if insecure {
            configuration.certificateVerification = .none
        } else {
            configuration.certificateVerification = .fullVerification
            if let caFile {
                let roots: [NIOSSLCertificate]
                do {
                    roots = try NIOSSLCertificate.fromPEMFile(caFile)
                } catch {
                    throw TLSSetupError("cannot load CA certificates \(caFile): \(ServerCertificate.describe(error))")
                }
                guard !roots.isEmpty else { throw TLSSetupError("no PEM certificate in \(caFile)") }
                configuration.trustRoots = .certificates(roots)
            } else {
                configuration.trustRoots = .default
            }
        }
        verifies = !insecure
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError("cannot set up upstream TLS: \(ServerCertificate.describe(error))")
        }
    }

    /// Adds the client TLS handler at the front of a freshly dialed channel's pipeline.
    package func secure(_ channel: any Channel, host: String) throws {
        let serverName = SelfSignedCertificate.isIPAddress(host) ? nil : host
        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
        try channel.pipeline.syncOperations.addHandler(handler, position: .first)
    }
}
