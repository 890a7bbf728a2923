import Testing
import WProxyProtocols

@Suite struct BasicCredentialsTests {
    @Test func parsesAndRoundTrips() {
        let credentials = BasicCredentials(headerValue: "Basic YWxpY2U6c2VjcmV0")
        #expect(credentials == BasicCredentials(user: "alice", password: "secret"))
        #expect(credentials?.headerValue == "Basic YWxpY2U6c2VjcmV0")
        #expect(BasicCredentials(headerValue: "basic   YWxpY2U6c2VjcmV0  ") != nil)
    }

    @Test func passwordMayContainColonsAndBeEmpty() {
        let value = BasicCredentials(user: "u", password: "a:b").headerValue
        #expect(BasicCredentials(headerValue: value)?.password == "a:b")
        #expect(BasicCredentials(headerValue: BasicCredentials(user: "u", password: "").headerValue)?.password == "")
    }

    @Test(arguments: [
        "", "Basic", "Basic ", "Bearer YWxpY2U6c2VjcmV0", "Basic YWxpY2U", "Basic YWxpY2U6c2VjcmV0=",
        "Basic ***", "Basic YWxpY2U=", "Basic /w==", "Basic YW=jZQ==",
    ])
    func rejectsMalformedValues(value: String) {
        #expect(BasicCredentials(headerValue: value) == nil)
    }

    @Test func base64DecodesEveryPaddingForm() {
        #expect(Base64.decode("") == [])
        #expect(Base64.decode("YQ==") == Array("a".utf8))
        #expect(Base64.decode("YWI=") == Array("ab".utf8))
        #expect(Base64.decode("YWJj") == Array("abc".utf8))
        #expect(Base64.decode("YQ=") == nil)
        #expect(Base64.decode("Y===") == nil)
        #expect(Base64.decode("YR==") == nil, "non-zero trailing bits")
    }
}
