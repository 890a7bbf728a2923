import Crypto
import Logging
import NIOCore
import NIOSSL
import Synchronization
import SwiftASN1
import WProxyProtocols
import X509

/// ACME TLS-ALPN-01 (RFC 8737) answers: while a challenge for a domain is pending, a connection
/// whose ClientHello names that domain and offers only the ALPN protocol `acme-tls/1` gets a
/// context with the challenge certificate instead of the listener's. Other clients never see it.
package final class TLSALPNChallenges: Sendable {
    package static let protocolName = "acme-tls/1"
    private let contexts = Mutex<[String: NIOSSLContext]>([:])

    package init() {}

    /// Publishes the challenge certificate for `domain` (key authorization from the ACME client).
    package func set(domain: String, keyAuthorization: String) throws {
        let key = P256.Signing.PrivateKey()
        let digest = Array(SHA256.hash(data: Array(keyAuthorization.utf8)))
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: digest[...]))
        // id-pe-acmeIdentifier, critical, holding the SHA-256 of the key authorization.
        let identifier = Certificate.Extension(
            oid: [1, 3, 6, 1, 5, 5, 7, 1, 31], critical: true, value: serializer.serializedBytes[...])
        let (pem, _) = try SelfSignedCertificate.makePEM(
            names: [domain], key: key, validity: .seconds(7 * 86400), extraExtension: identifier)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = [Self.protocolName]
        let context = try NIOSSLContext(configuration: configuration)
        contexts.withLock { $0[domain.lowercased()] = context }
    }

    package func remove(domain: String) {
        contexts.withLock { _ = $0.removeValue(forKey: domain.lowercased()) }
    }

    func context(for domain: String) -> NIOSSLContext? {
        contexts.withLock { $0[domain] }
    }

    var isEmpty: Bool { contexts.withLock { $0.isEmpty } }
}

/// In front of the TLS handler of an ACME listener: reads the ClientHello (without consuming it),
/// then installs `NIOSSLServerHandler` with the TLS-ALPN-01 challenge context when the hello asks
/// for `acme-tls/1` and a challenge for its server name is pending, else with the listener's
/// context; hands over the bytes and removes itself. Anything that is not a ClientHello goes to the
/// normal TLS handler (which answers it as usual).
final class TLSALPNChallengeSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let challenges: TLSALPNChallenges
    private let contexts: ServerTLSContextBox
    private let parser = ClientHelloParser()
    private var buffered: ByteBuffer?
    /// `acme-tls/1` as it appears in the ALPN extension's protocol list (length-prefixed).
    private static let alpnBytes: [UInt8] = [UInt8(TLSALPNChallenges.protocolName.utf8.count)] + Array(TLSALPNChallenges.protocolName.utf8)

    init(challenges: TLSALPNChallenges, contexts: ServerTLSContextBox) {
        self.challenges = challenges
        self.contexts = contexts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
        let chosen: NIOSSLContext
        do {
            switch try parser.peek(buffered!) {
            case .needMoreData:
                return
            case .serverName(let name):
                if let name, Self.offersACMEProtocol(buffered!), let challenge = challenges.context(for: name) {
                    chosen = challenge
                } else {
                    chosen = contexts.current
                }
            }
        } catch {
            chosen = contexts.current
        }
        handOver(context: context, tls: chosen)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if buffered != nil { context.read() }  // still waiting for the rest of the hello
    }

    private func handOver(context: ChannelHandlerContext, tls: NIOSSLContext) {
        let bytes = buffered!
        buffered = nil
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    static func offersACMEProtocol(_ hello: ByteBuffer) -> Bool {
        let view = hello.readableBytesView
        let needle = alpnBytes
        guard view.count >= needle.count else { return false }
        var index = view.startIndex
        while index <= view.endIndex - needle.count {
            if view[index] == needle[0] && view[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
