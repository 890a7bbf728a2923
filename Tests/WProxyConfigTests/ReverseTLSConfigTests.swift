import Testing
import WProxyConfig

@Suite struct ReverseTLSConfigTests {
    private func load(_ text: String) throws(ConfigFileError) -> Configuration {
        try ConfigFile.load(text: text, fileName: "tls.toml")
    }

    private func issues(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test func decodesCertificatePairsAndUpstreamTrust() throws {
        let config = try load(
            """
            [[listeners]]
            mode = "reverse"
            listen = ["127.0.0.1:8443"]
            upstream = ["https://10.0.0.1:443"]
            upstream_ca = "ca.pem"
            h2_max_streams = 64
            tls = { certs = [{cert = "a.pem", key = "a.key"}, {cert = "b.pem", key = "b.key"}] }
            """)
        let reverse = try #require(config.listeners.first?.reverse)
        #expect(reverse.tls.server?.certificates == [
            CertificateFiles(certificate: "a.pem", key: "a.key"), CertificateFiles(certificate: "b.pem", key: "b.key"),
        ])
        #expect(reverse.tls.upstreamCA == "ca.pem")
        #expect(reverse.tls.h2MaxStreams == 64)
        #expect(reverse.upstreams.first?.scheme == .https)
    }

    @Test func selfSignedWithRedirectAddsAPlainListener() throws {
        let config = try load(
            """
            [[listeners]]
            mode = "reverse"
            listen = ["127.0.0.1:8443"]
            static = "./public"
            tls = { self_signed = true }
            redirect_http = "127.0.0.1:8080"
            """)
        #expect(config.listeners.count == 2)
        #expect(config.listeners[0].reverse?.tls.server?.selfSigned == true)
        let redirect = try #require(config.listeners[1].reverse?.tls.redirectOnly)
        #expect(redirect.httpsPort == 8443)
        #expect(config.listeners[1].listen.first?.port == 8080)
    }

    @Test func decodesACME() throws {
        let config = try load(
            """
            [[listeners]]
            mode = "reverse"
            listen = [":443"]
            upstream = ["http://127.0.0.1:3000"]
            tls = { acme = { domains = ["Example.com", "www.example.com"], email = "ops@example.com", storage = "/var/lib/wproxy/acme" } }
            redirect_http = ":80"
            """)
        let acme = try #require(config.listeners[0].reverse?.tls.server?.acme)
        #expect(acme.domains == ["example.com", "www.example.com"])
        #expect(acme.email == "ops@example.com")
        #expect(acme.directory == ACMEOptions.letsEncryptDirectory)
        #expect(acme.storage == "/var/lib/wproxy/acme")
        #expect(config.listeners[1].reverse?.tls.redirectOnly?.httpsPort == nil)  // 443 is implied
    }

    @Test func reportsBadTLSKeysWithLines() {
        let found = issues(
            """
            [[listeners]]
            mode = "reverse"
            listen = ["127.0.0.1:8443"]
            upstream = ["http://127.0.0.1:1"]
            tls = { certs = [{cert = "a.pem"}], colour = "blue" }
            h2_max_streams = 0
            """)
        #expect(found.contains { $0.hasPrefix("tls.toml:5") && $0.contains("'key'") })
        #expect(found.contains { $0.hasPrefix("tls.toml:5") && $0.contains("colour") })
        #expect(found.contains { $0.hasPrefix("tls.toml:6") && $0.contains("h2_max_streams") })
    }

    @Test func rejectsTwoCertificateSourcesAndRedirectWithoutTLS() {
        let both = issues(
            """
            [[listeners]]
            mode = "reverse"
            upstream = ["http://127.0.0.1:1"]
            tls = { self_signed = true, certs = [{cert = "a.pem", key = "a.key"}] }
            """)
        #expect(both.contains { $0.contains("choose one") })
        let redirect = issues(
            """
            [[listeners]]
            mode = "reverse"
            upstream = ["http://127.0.0.1:1"]
            redirect_http = ":80"
            """)
        #expect(redirect.contains { $0.contains("redirect-http needs HTTPS") })
        let insecure = issues(
            """
            [[listeners]]
            mode = "reverse"
            upstream = ["http://127.0.0.1:1"]
            upstream_insecure = true
            """)
        #expect(insecure.contains { $0.contains("need an https:// upstream") })
    }

    @Test func domainNames() {
        #expect(ReverseTLSSettings.isDomainName("example.com"))
        #expect(ReverseTLSSettings.isDomainName("*.example.com"))
        #expect(!ReverseTLSSettings.isDomainName("exa mple.com"))
        #expect(!ReverseTLSSettings.isDomainName("a..b"))
        #expect(!ReverseTLSSettings.isDomainName(".a"))
        #expect(!ReverseTLSSettings.isDomainName(""))
    }
}
