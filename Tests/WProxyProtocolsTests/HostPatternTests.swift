import Testing
import WProxyProtocols

@Suite struct HostPatternTests {
    @Test(arguments: [
        ("example.test", "example.test", true),
        ("example.test", "EXAMPLE.Test", true),
        ("Example.TEST", "example.test", true),
        ("example.test", "example.test.", true),
        ("example.test.", "example.test", true),
        ("example.test", "www.example.test", false),
        ("example.test", "example.tes", false),
        ("example.test", "xexample.test", false),
        ("*.example.test", "a.example.test", true),
        ("*.example.test", "a.b.example.test", true),
        ("*.example.test", "A.Example.Test", true),
        ("*.example.test", "example.test", false),
        ("*.example.test", "xexample.test", false),
        ("*.example.test", ".example.test", false),
        ("*.example.test", "a..example.test", false),
        ("*.example.test", "a.example.test.evil", false),
        (".example.test", "example.test", true),
        (".example.test", "a.example.test", true),
        (".example.test", "a.b.example.test", true),
        (".example.test", "xexample.test", false),
        (".example.test", "", false),
        ("www.example.*", "www.example.com", true),
        ("www.example.*", "www.example.co.uk", true),
        ("www.example.*", "www.example", false),
        ("www.example.*", "www.example.", false),
        ("www.example.*", "www.examplexcom", false),
        ("www.example.*", "xwww.example.com", false),
        ("a.*.test", "a.b.test", false),
        ("a.*.test", "a.*.test", true),
    ])
    func matching(pattern: String, host: String, expected: Bool) {
        #expect(HostPattern(pattern).matches(host) == expected, "\(pattern) vs \(host)")
    }

    @Test func patternIsNormalized() {
        #expect(HostPattern("*.Example.TEST.").pattern == "*.example.test")
        #expect(HostPattern("*.Example.TEST.").description == "*.example.test")
        #expect(HostPattern("a.test") == HostPattern("A.TEST."))
        #expect(HostPattern("*.a.test") != HostPattern(".a.test"))
    }
}
