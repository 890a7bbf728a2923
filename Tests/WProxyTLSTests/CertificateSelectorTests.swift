import Testing
@testable import WProxyTLS

@Suite struct CertificateSelectorTests {
    let selector = CertificateSelector(names: [
        ["a.test", "*.wild.test", "127.0.0.1"],
        ["b.test", "*.b.test", "A.TEST"],
        ["x.wild.test"],
    ])

    @Test func exactBeforeWildcard() {
        #expect(selector.match("a.test") == 0)
        #expect(selector.match("b.test") == 1)
        #expect(selector.match("x.wild.test") == 2)  // exact name of a later certificate beats an earlier wildcard
        #expect(selector.match("y.wild.test") == 0)
        #expect(selector.match("deep.y.wild.test") == nil)  // a wildcard covers one label only
        #expect(selector.match("wild.test") == nil)
    }

    @Test func caseAndTrailingDot() {
        #expect(selector.match("B.Test") == 1)
        #expect(selector.match("a.test.") == 0)
        #expect(selector.match("Q.B.TEST") == 1)
    }

    @Test func firstCertificateWinsADuplicateName() {
        #expect(selector.match("a.test") == 0)
    }

    @Test func unknownAndOddNames() {
        #expect(selector.match("unknown.test") == nil)
        #expect(selector.match("") == nil)
        #expect(selector.match(".") == nil)
        #expect(selector.match(".wild.test") == nil)
        #expect(selector.match("127.0.0.1") == 0)
    }

    @Test func ipText() {
        #expect(IPText.format([127, 0, 0, 1]) == "127.0.0.1")
        #expect(IPText.format([UInt8](repeating: 0, count: 15) + [1]) == "::1")
        #expect(IPText.format([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(IPText.format([1, 2, 3]) == nil)
    }
}
