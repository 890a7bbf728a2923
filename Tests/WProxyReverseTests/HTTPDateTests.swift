import NIOHTTP1
import Testing

@testable import WProxyReverse

@Suite struct HTTPDateTests {
    @Test func formatsAndParsesTheSameInstant() {
        for seconds in [0, 784_111_777, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let text = HTTPDate.format(epochSeconds: seconds)
            #expect(HTTPDate.parse(text) == seconds, "\(text)")
        }
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951_782_400)
    }

    @Test func refusesOtherFormsAndGarbage() {
        for text in [
            "", "GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT", String(repeating: "x", count: 5000),
        ] {
            #expect(HTTPDate.parse(text) == nil, "\(text.prefix(40))")
        }
    }

    @Test func conditionsFollowRFC9110Precedence() {
        let etag = "\"5f-10\""
        var conditions = StaticFileServer.Conditions(method: .GET)
        conditions.ifModifiedSince = HTTPDate.format(epochSeconds: 1000)
        #expect(conditions.notModified(etag: etag, modified: 1000))
        #expect(!conditions.notModified(etag: etag, modified: 1001))
        conditions.ifNoneMatch = "\"other\""  // If-None-Match decides when present
        #expect(!conditions.notModified(etag: etag, modified: 1000))
        conditions.ifNoneMatch = nil
        conditions.ifModifiedSince = "yesterday"  // unparsable: ignored
        #expect(!conditions.notModified(etag: etag, modified: 1000))
        conditions.ifRange = etag
        #expect(conditions.rangeApplies(etag: etag, modified: 1))
        conditions.ifRange = "W/\"5f-10\""  // If-Range needs a strong match
        #expect(!conditions.rangeApplies(etag: etag, modified: 1))
        conditions.ifRange = HTTPDate.format(epochSeconds: 1)
        #expect(conditions.rangeApplies(etag: etag, modified: 1))
        #expect(!conditions.rangeApplies(etag: etag, modified: 2))
    }
}
