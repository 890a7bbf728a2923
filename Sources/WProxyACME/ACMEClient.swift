import Crypto
import Foundation
import Logging
import NIOHTTP1
import SwiftASN1
import WProxyTLS
import X509

/// The RFC 8555 conversation for one certificate: account, order, HTTP-01 authorizations, CSR,
/// finalize, download. Stateless between calls except for the nonce and the account URL.
actor ACMEClient {
    private let http: ACMEHTTPClient
    private let directoryURL: String
    private let accountKey: ACMEAccountKey
    private let email: String?
    private let challenges: ACMEChallengeStore
    private let alpnChallenges: TLSALPNChallenges?
    /// Use HTTP-01 when offered (a --redirect-http listener answers it); else TLS-ALPN-01 first.
    private let preferHTTP01: Bool
    private let logger: Logger
    private var directory: [String: Any]?
    private var nonce: String?
    private var accountURL: String?
    /// Time between polls of a pending authorization or order.
    var pollInterval: Duration = .milliseconds(500)

    init(http: ACMEHTTPClient, directoryURL: String, accountKey: ACMEAccountKey, email: String?,
         challenges: ACMEChallengeStore, alpnChallenges: TLSALPNChallenges?, preferHTTP01: Bool, logger: Logger) {
        self.alpnChallenges = alpnChallenges
        self.preferHTTP01 = preferHTTP01
        self.http = http
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.email = email
        self.challenges = challenges
        self.logger = logger
    }

    /// Orders a certificate for `domains` with a new key; returns the PEM chain and the key.
    func issue(domains: [String], certificateKey: P256.Signing.PrivateKey) async throws -> String {
        try await loadDirectory()
        try await ensureAccount()
        let identifiers = domains.map { #"{"type":"dns","value":\#(JSONText.quote($0))}"# }.joined(separator: ",")
        let (orderResponse, orderJSON) = try await post(try endpoint("newOrder"), payload: #"{"identifiers":[\#(identifiers)]}"#)
        guard let orderURL = orderResponse.headers.first(name: "Location") else { throw ACMEError("newOrder: no order URL") }
        var order = orderJSON
        for case let authorizationURL as String in order["authorizations"] as? [Any] ?? [] {
            try await authorize(authorizationURL)
        }
        guard let finalizeURL = order["finalize"] as? String else { throw ACMEError("order without a finalize URL") }
        order = try await poll(orderURL, what: "order", until: ["ready", "valid"])
        if order["status"] as? String == "ready" {
            let csr = try Self.csr(domains: domains, key: certificateKey)
            (_, order) = try await post(finalizeURL, payload: #"{"csr":"\#(Base64URL.encode(csr))"}"#)
            if order["status"] as? String != "valid" {
                order = try await poll(orderURL, what: "order", until: ["valid"])
            }
        }
        guard let certificateURL = order["certificate"] as? String else { throw ACMEError("valid order without a certificate URL") }
        let (certificate, _) = try await post(certificateURL, payload: nil, json: false)
        let pem = certificate.text
        guard pem.contains("-----BEGIN CERTIFICATE-----") else { throw ACMEError("the certificate download is not PEM") }
        return pem
    }

    // MARK: Steps

    private func ensureAccount() async throws {
        guard accountURL == nil else { return }
        var payload = #"{"termsOfServiceAgreed":true"#
        if let email { payload += #","contact":[\#(JSONText.quote("mailto:" + email))]"# }
        payload += "}"
        let (response, _) = try await post(try endpoint("newAccount"), payload: payload, useKID: false)
        guard let location = response.headers.first(name: "Location") else { throw ACMEError("newAccount: no account URL") }
        accountURL = location
        logger.info("ACME: account \(location)")
    }

    private func authorize(_ url: String) async throws {
        let (_, authorization) = try await post(url, payload: nil)
        if authorization["status"] as? String == "valid" { return }
        let identifier = (authorization["identifier"] as? [String: Any])?["value"] as? String ?? "?"
        let challenges = authorization["challenges"] as? [[String: Any]] ?? []
        let http01 = challenges.first { $0["type"] as? String == "http-01" }
        let tlsALPN01 = alpnChallenges == nil ? nil : challenges.first { $0["type"] as? String == "tls-alpn-01" }
        guard let challenge = preferHTTP01 ? (http01 ?? tlsALPN01) : (tlsALPN01 ?? http01),
            let type = challenge["type"] as? String, let token = challenge["token"] as? String,
            let challengeURL = challenge["url"] as? String
        else { throw ACMEError("no http-01 or tls-alpn-01 challenge offered for \(identifier)") }
        let keyAuthorization = "\(token).\(accountKey.thumbprint)"
        if type == "tls-alpn-01", let alpnChallenges {
            try alpnChallenges.set(domain: identifier, keyAuthorization: keyAuthorization)
        } else {
            self.challenges.set(token, keyAuthorization)
        }
        defer {
            self.challenges.remove(token)
            alpnChallenges?.remove(domain: identifier)
        }
        logger.info("ACME: answering the \(type) challenge for \(identifier)")
        _ = try await post(challengeURL, payload: "{}")
        let final = try await poll(url, what: "authorization for \(identifier)", until: ["valid"])
        _ = final
    }

    /// POST-as-GET until `status` is one of `until`; fails on `invalid` with the challenge error.
    private func poll(_ url: String, what: String, until: Set<String>) async throws -> [String: Any] {
        for _ in 0..<120 {
            let (_, json) = try await post(url, payload: nil)
            let status = json["status"] as? String ?? "?"
            if until.contains(status) { return json }
            if status == "invalid" || status == "revoked" || status == "deactivated" || status == "expired" {
                let detail = (json["challenges"] as? [[String: Any]])?.compactMap { $0["error"] }.first ?? json["error"]
                let problem = detail.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
                    .map { String(decoding: $0, as: UTF8.self) }
                throw ACMEError("\(what) is \(status)", problem: problem)
            }
            try await Task.sleep(for: pollInterval)
        }
        throw ACMEError("\(what) still pending after 120 polls")
    }

    // MARK: Transport

    private func endpoint(_ name: String) throws -> String {
        guard let url = directory?[name] as? String else { throw ACMEError("the directory has no \(name)") }
        return url
    }

    private func loadDirectory() async throws {
        guard directory == nil else { return }
        let response = try await http.request(.GET, directoryURL)
        guard response.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw ACMEError("directory \(directoryURL) answered \(response.status)", problem: response.text.isEmpty ? nil : String(response.text.prefix(500)))
        }
        directory = json
    }

    private func freshNonce() async throws -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let response = try await http.request(.HEAD, try endpoint("newNonce"))
        guard let nonce = response.headers.first(name: "Replay-Nonce") else { throw ACMEError("newNonce: no Replay-Nonce") }
        return nonce
    }

    /// A signed POST (payload nil: POST-as-GET). Retries a rejected nonce; throws the CA's problem document.
    private func post(_ url: String, payload: String?, useKID: Bool = true, json: Bool = true) async throws -> (ACMEHTTPResponse, [String: Any]) {
        try await loadDirectory()
        var attempt = 0
        while true {
            attempt += 1
            let nonce = try await freshNonce()
            let body = try accountKey.sign(url: url, nonce: nonce, kid: useKID ? accountURL : nil, payload: payload)
            let response = try await http.request(.POST, url, body: body)
            if let next = response.headers.first(name: "Replay-Nonce") { self.nonce = next }
            if response.status >= 400 {
                let problem = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                let type = problem?["type"] as? String
                if type == "urn:ietf:params:acme:error:badNonce" && attempt < 5 { continue }
                throw ACMEError("\(url) answered \(response.status)", problem: response.text.isEmpty ? nil : String(response.text.prefix(2000)), type: type)
            }
            guard json, !response.body.isEmpty else { return (response, [:]) }
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
                throw ACMEError("\(url): the answer is not a JSON object")
            }
            return (response, object)
        }
    }

    /// A PKCS#10 request (DER) for `domains`, signed with `key`.
    static func csr(domains: [String], key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let subject = try DistinguishedName { CommonName(domains[0]) }
        let extensions = try Certificate.Extensions { SubjectAlternativeNames(domains.map { .dnsName($0) }) }
        let attributes = CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: extensions))])
        let request = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: .init(key), attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }
}
