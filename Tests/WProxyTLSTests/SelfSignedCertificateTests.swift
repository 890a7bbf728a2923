import Logging
import NIOCore
import WProxyConfig
import NIOSSL
import Testing
@testable import WProxyTLS

@Suite struct SelfSignedCertificateTests {
    @Test func namesFingerprintAndValidity() throws {
        let certificate = try SelfSignedCertificate.make(names: ["App.Test", "localhost", "127.0.0.1", "::1", "localhost"])
        #expect(certificate.names == ["app.test", "localhost", "127.0.0.1", "::1"])
        #expect(certificate.fingerprint.count == 32 * 3 - 1)
        #expect(certificate.fingerprint == ServerCertificate.fingerprint(der: try certificate.chain[0].toDERBytes()))
        #expect(certificate.notValidAfter - certificate.notValidBefore > 360 * 86400)
    }

    @Test func twoCertificatesGiveADifferentFingerprint() throws {
        let one = try SelfSignedCertificate.make(names: ["localhost"])
        let two = try SelfSignedCertificate.make(names: ["localhost"])
        #expect(one.fingerprint != two.fingerprint)
    }

    @Test func serverContextsBuildForOneAndSeveralCertificates() throws {
        let one = try SelfSignedCertificate.make(names: ["a.test"])
        let two = try SelfSignedCertificate.make(names: ["b.test"])
        _ = try ServerTLSContext.make(certificates: [one], logger: .init(label: "test"))
        _ = try ServerTLSContext.make(certificates: [one, two], logger: .init(label: "test"))
        #expect(throws: TLSSetupError.self) { try ServerTLSContext.make(certificates: [], logger: .init(label: "test")) }
    }

    @Test func loadingReportsTheFile() {
        do {
            _ = try ServerCertificate.load(.init(certificate: "/nonexistent/cert.pem", key: "/nonexistent/key.pem"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("/nonexistent/cert.pem"))
        }
    }

    @Test func ipLiterals() {
        #expect(SelfSignedCertificate.ipBytes("127.0.0.1") == [127, 0, 0, 1])
        #expect(SelfSignedCertificate.ipBytes("[::1]")?.count == 16)
        #expect(SelfSignedCertificate.ipBytes("example.test") == nil)
        #expect(SelfSignedCertificate.ipBytes("1.2.3") == nil)
    }
}
