import NIOHTTP1

/// How a message's body is delimited on the wire (RFC 9112 §6).
package enum MessageFraming: Hashable, Sendable {
    /// No body (a request without Content-Length or Transfer-Encoding; a response that cannot have one).
    case none
    case contentLength(Int)
    case chunked
    /// A response read until the connection closes (no length, not chunked).
    case untilClose
}

/// Why a message was refused: the status to answer and a short reason for the body and the log.
package struct FramingError: Error, Hashable, CustomStringConvertible {
    package let status: HTTPResponseStatus
    package let reason: String

    package init(_ status: HTTPResponseStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    package var description: String { reason }
}

/// Request smuggling and framing checks, applied to every request head before anything is
/// forwarded (RFC 9112 §6.1-6.3, and what nginx and HAProxy refuse).
///
/// Refused with 400: both `Content-Length` and `Transfer-Encoding`; `Content-Length` values that
/// differ or are not plain decimal digits; a `Transfer-Encoding` whose last coding is not `chunked`,
/// that names `chunked` twice or not last, or any coding we do not know (which is also how
/// obfuscations such as `xchunked`, `chunked\u{0B}` or `"chunked"` end); `Transfer-Encoding` in an
/// HTTP/1.0 request. Repeated identical `Content-Length` values are accepted (RFC 9110 §8.6).
package enum RequestFramingValidator {
    /// Codings that may precede the final `chunked` in a request.
    static let knownCodings: Set<String> = ["gzip", "x-gzip", "deflate", "compress", "x-compress", "br", "zstd"]

    package static func framing(of head: HTTPRequestHead) throws(FramingError) -> MessageFraming {
        try scan(head).framing
    }

    /// Everything the engine needs from a request head, read in one pass over its headers.
    package static func scan(_ head: HTTPRequestHead) throws(FramingError) -> RequestHeadFacts {
        var lengths: [String] = []
        var codings: [String] = []
        var hasTE = false
        var facts = RequestHeadFacts()
        var hasUpgradeHeader = false
        var connectionUpgrade = false
        var connectionClose = false
        var connectionKeepAlive = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where headerNameEquals(name, "host"):
                if facts.host == nil { facts.host = value }
            case 6 where headerNameEquals(name, "expect"):
                facts.expect = value
            case 7 where headerNameEquals(name, "upgrade"):
                hasUpgradeHeader = true
            case 10 where headerNameEquals(name, "connection"):
                for token in listElements(value) {
                    if tokenEquals(token, "close") { connectionClose = true }
                    else if tokenEquals(token, "keep-alive") { connectionKeepAlive = true }
                    else if tokenEquals(token, "upgrade") { connectionUpgrade = true }
                }
            case 14 where headerNameEquals(name, "content-length"):
                lengths.append(contentsOf: listElements(value).map(String.init))
            case 17 where headerNameEquals(name, "transfer-encoding"):
                hasTE = true
                codings.append(contentsOf: listElements(value).map(String.init))
            default:
                break
            }
        }
        facts.isUpgrade = hasUpgradeHeader && connectionUpgrade
        let http11 = head.version.major == 1 && head.version.minor >= 1
        facts.keepAlive = http11 ? !connectionClose : connectionKeepAlive && !connectionClose
        if hasTE {
            guard lengths.isEmpty else {
                throw FramingError(.badRequest, "both Content-Length and Transfer-Encoding")
            }
            guard http11 else {
                throw FramingError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")
            }
            try checkCodings(codings, status: .badRequest)
            facts.framing = .chunked
            return facts
        }
        if let length = try contentLength(lengths, rawCount: head.headers.count, status: .badRequest), length > 0 {
            facts.framing = .contentLength(length)
        }
        return facts
    }

    /// The single Content-Length the values agree on, nil when there is none.
    static func contentLength(_ values: [String], rawCount: Int, status: HTTPResponseStatus) throws(FramingError) -> Int? {
        var found: Int?
        for value in values {
            let text = value.utf8
            guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let number = Int(value)
            else {
                throw FramingError(status, "malformed Content-Length '\(value.prefix(40))'")
            }
            if let found, found != number {
                throw FramingError(status, "conflicting Content-Length values")
            }
            found = number
        }
        return found
    }

    static func checkCodings(_ values: [String], status: HTTPResponseStatus) throws(FramingError) {
        guard !values.isEmpty else { throw FramingError(status, "empty Transfer-Encoding") }
        for (index, raw) in values.enumerated() {
            let coding = raw.lowercased()
            let last = index == values.count - 1
            if coding == "chunked" {
                guard last else { throw FramingError(status, "Transfer-Encoding 'chunked' is not the final coding") }
            } else if last {
                throw FramingError(status, "Transfer-Encoding must end with 'chunked'")
            } else if !knownCodings.contains(coding) {
                throw FramingError(status, "unknown Transfer-Encoding '\(raw.prefix(40))'")
            }
        }
    }
}

/// What a request head says, beyond its request line.
package struct RequestHeadFacts: Sendable {
    package var framing = MessageFraming.none
    package var host: String?
    package var expect: String?
    /// `Upgrade` present and `Connection` names it.
    package var isUpgrade = false
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    package var keepAlive = true

    package init() {}
}

/// The same checks for an upstream's response head; failures are answered with 502.
package enum ResponseFramingValidator {
    /// - Parameter requestMethod: HEAD responses never have a body, whatever their headers say.
    package static func framing(of head: HTTPResponseHead, requestMethod: HTTPMethod) throws(FramingError) -> MessageFraming {
        try scan(head, requestMethod: requestMethod).framing
    }

    /// Framing and keep-alive of a response head, in one pass over its headers.
    package static func scan(
        _ head: HTTPResponseHead, requestMethod: HTTPMethod
    ) throws(FramingError) -> (framing: MessageFraming, keepAlive: Bool) {
        var lengths: [String] = []
        var codings: [Substring] = []
        var hasTE = false
        var connectionClose = false
        var connectionKeepAlive = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 10 where headerNameEquals(name, "connection"):
                for token in listElements(value) {
                    if tokenEquals(token, "close") { connectionClose = true }
                    else if tokenEquals(token, "keep-alive") { connectionKeepAlive = true }
                }
            case 14 where headerNameEquals(name, "content-length"):
                lengths.append(contentsOf: listElements(value).map(String.init))
            case 17 where headerNameEquals(name, "transfer-encoding"):
                hasTE = true
                codings.append(contentsOf: listElements(value))
            default:
                break
            }
        }
        let http11 = head.version.major == 1 && head.version.minor >= 1
        let keepAlive = http11 ? !connectionClose : connectionKeepAlive && !connectionClose
        if hasTE && !lengths.isEmpty {
            throw FramingError(.badGateway, "upstream sent both Content-Length and Transfer-Encoding")
        }
        let length = try RequestFramingValidator.contentLength(lengths, rawCount: 0, status: .badGateway)
        if requestMethod == .HEAD || head.status.code < 200 || head.status.code == 204 || head.status.code == 304 {
            return (.none, keepAlive)
        }
        if hasTE {
            // A response may end with a coding other than chunked: it is then delimited by close.
            if let last = codings.last, tokenEquals(last, "chunked") {
                guard !codings.dropLast().contains(where: { tokenEquals($0, "chunked") }) else {
                    throw FramingError(.badGateway, "upstream sent 'chunked' twice")
                }
                return (.chunked, keepAlive)
            }
            return (.untilClose, false)
        }
        if let length { return (.contentLength(length), keepAlive) }
        return (.untilClose, false)
    }
}
