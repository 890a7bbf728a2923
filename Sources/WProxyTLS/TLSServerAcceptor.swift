import Logging
import NIOCore
import NIOSSL
import WProxyCore

/// A mode that can run behind TLS: told which application protocol ALPN chose.
package protocol TLSApplication: Sendable {
    /// Installs the mode's handlers once the handshake is done. `applicationProtocol` is the ALPN
    /// result (`h2`, `http/1.1`) or nil when the client offered none.
    func initializeSecuredConnection(_ channel: any Channel, applicationProtocol: String?) throws
}

/// The TLS decorator over a mode's connection setup (as Hummingbird's `TLSChannel`): each accepted
/// connection gets a `NIOSSLServerHandler` and a handshake watcher, and the mode's own handlers only
/// once the handshake is done. The mode never tests "is this TLS?".
package final class TLSServerAcceptor: ConnectionAcceptor {
    package let application: any TLSApplication
    package let contexts: ServerTLSContextBox
    let handshakeTimeout: TimeAmount
    let logger: Logger
    /// The generated certificate of `--tls-self-signed`, kept so a reload does not change it.
    package let selfSigned: ServerCertificate?
    /// ACME listeners: TLS-ALPN-01 challenge answers (connections then pass a ClientHello sniffer first).
    package let alpnChallenges: TLSALPNChallenges?

    package init(
        application: any TLSApplication, contexts: ServerTLSContextBox, handshakeTimeout: TimeAmount, logger: Logger,
        selfSigned: ServerCertificate? = nil, alpnChallenges: TLSALPNChallenges? = nil
    ) {
        self.alpnChallenges = alpnChallenges
        self.application = application
        self.contexts = contexts
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        self.selfSigned = selfSigned
    }

    package func initializeConnection(_ channel: any Channel) throws {
        if let alpnChallenges {
            try channel.pipeline.syncOperations.addHandler(TLSALPNChallengeSniffer(challenges: alpnChallenges, contexts: contexts))
        } else {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.current))
        }
        try channel.pipeline.syncOperations.addHandler(
            TLSHandshakeHandler(application: application, timeout: handshakeTimeout, logger: logger))
    }
}
