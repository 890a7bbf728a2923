import NIOCore
import NIOHTTP1
import Testing
import WProxyHTTP

@Suite struct RequestFramingTests {
    private func head(_ pairs: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/", headers: HTTPHeaders(pairs))
    }

    @Test func plainFramings() throws {
        #expect(try RequestFramingValidator.framing(of: head([])) == MessageFraming.none)
        #expect(try RequestFramingValidator.framing(of: head([("Content-Length", "0")])) == MessageFraming.none)
        #expect(try RequestFramingValidator.framing(of: head([("Content-Length", "42")])) == .contentLength(42))
        #expect(try RequestFramingValidator.framing(of: head([("Content-Length", "42"), ("content-length", "42")])) == .contentLength(42))
        #expect(try RequestFramingValidator.framing(of: head([("Transfer-Encoding", "chunked")])) == .chunked)
        #expect(try RequestFramingValidator.framing(of: head([("Transfer-Encoding", "gzip, chunked")])) == .chunked)
        #expect(try RequestFramingValidator.framing(of: head([("Transfer-Encoding", "Chunked")])) == .chunked)
    }

    /// Every request smuggling shape is refused with 400 before anything is forwarded.
    @Test(arguments: [
        [("Content-Length", "4"), ("Transfer-Encoding", "chunked")],          // CL.TE / TE.CL
        [("Transfer-Encoding", "chunked"), ("Content-Length", "0")],
        [("Content-Length", "4"), ("Content-Length", "5")],                   // conflicting
        [("Content-Length", "4, 5")],
        [("Content-Length", "+4")],                                           // malformed
        [("Content-Length", "-1")],
        [("Content-Length", "0x10")],
        [("Content-Length", " ")],
        [("Content-Length", "4 4")],
        [("Content-Length", "99999999999999999999")],
        [("Transfer-Encoding", "gzip")],                                      // not final chunked
        [("Transfer-Encoding", "chunked, gzip")],
        [("Transfer-Encoding", "chunked, chunked")],
        [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")],
        [("Transfer-Encoding", "xchunked")],                                  // obfuscated
        [("Transfer-Encoding", "chunked\u{0B}")],
        [("Transfer-Encoding", "\"chunked\"")],
        [("Transfer-Encoding", "chunk")],
        [("Transfer-Encoding", "identity")],
        [("Transfer-Encoding", "")],
        [("Transfer-Encoding", "foo, chunked")],                              // unknown coding
    ])
    func smugglingShapesAreRefused(_ pairs: [(String, String)]) {
        #expect(throws: FramingError.self) { try RequestFramingValidator.framing(of: head(pairs)) }
        do {
            _ = try RequestFramingValidator.framing(of: head(pairs))
        } catch {
            #expect(error.status == .badRequest)
        }
    }

    @Test func transferEncodingInHTTP10IsRefused() {
        #expect(throws: FramingError.self) {
            try RequestFramingValidator.framing(of: head([("Transfer-Encoding", "chunked")], version: .http1_0))
        }
    }

    @Test func scanReadsKeepAliveUpgradeHostAndExpect() throws {
        var facts = try RequestFramingValidator.scan(head([("Host", "a"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Expect", "100-continue")]))
        #expect(facts.host == "a" && facts.isUpgrade && facts.keepAlive && facts.expect == "100-continue")
        facts = try RequestFramingValidator.scan(head([("Connection", "close")]))
        #expect(!facts.keepAlive)
        facts = try RequestFramingValidator.scan(head([], version: .http1_0))
        #expect(!facts.keepAlive)
        facts = try RequestFramingValidator.scan(head([("Connection", "keep-alive")], version: .http1_0))
        #expect(facts.keepAlive)
        facts = try RequestFramingValidator.scan(head([("Upgrade", "websocket")]))
        #expect(!facts.isUpgrade)
    }
}

@Suite struct ResponseFramingTests {
    private func head(_ pairs: [(String, String)], status: HTTPResponseStatus = .ok) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(pairs))
    }

    @Test func framings() throws {
        #expect(try ResponseFramingValidator.framing(of: head([("Content-Length", "3")]), requestMethod: .GET) == .contentLength(3))
        #expect(try ResponseFramingValidator.framing(of: head([("Transfer-Encoding", "chunked")]), requestMethod: .GET) == .chunked)
        #expect(try ResponseFramingValidator.framing(of: head([]), requestMethod: .GET) == .untilClose)
        #expect(try ResponseFramingValidator.framing(of: head([("Content-Length", "3")]), requestMethod: .HEAD) == MessageFraming.none)
        #expect(try ResponseFramingValidator.framing(of: head([], status: .noContent), requestMethod: .GET) == MessageFraming.none)
        #expect(try ResponseFramingValidator.framing(of: head([("Content-Length", "9")], status: .notModified), requestMethod: .GET) == MessageFraming.none)
    }

    @Test(arguments: [
        [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
        [("Content-Length", "3"), ("Content-Length", "4")],
        [("Content-Length", "abc")],
    ])
    func badResponsesAre502(_ pairs: [(String, String)]) {
        do {
            _ = try ResponseFramingValidator.framing(of: head(pairs), requestMethod: .GET)
            Issue.record("accepted \(pairs)")
        } catch {
            #expect(error.status == .badGateway)
        }
    }
}
