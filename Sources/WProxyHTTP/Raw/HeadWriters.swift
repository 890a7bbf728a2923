import NIOCore
import NIOHTTP1

/// Serialises heads straight into bytes, applying the proxy's header rules in the same pass
/// (no intermediate `HTTPHeaders` copies on the hot path).
package enum HeadWriters {
    /// The request head sent upstream: origin-form request line as received, HTTP/1.1, hop-by-hop
    /// headers and `Connection`-named ones removed, `X-Forwarded-*` set (see
    /// ``NIOHTTP1/HTTPHeaders/rewriteForUpstream(_:hostOverride:defaultHost:keepUpgrade:)``), `Expect`
    /// dropped when the proxy answers `100-continue` itself, and the body framing written explicitly.
    package static func writeUpstreamRequest(
        _ head: HTTPRequestHead, into buffer: inout ByteBuffer, forwarded: ForwardedInfo, hostOverride: String?,
        defaultHost: String, keepUpgrade: Bool, framing: MessageFraming, dropExpect: Bool
    ) {
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        var named: [Substring] = []
        for (name, value) in head.headers where name.utf8.count == 10 && headerNameEquals(name, "connection") {
            for token in listElements(value) where !token.isEmpty { named.append(token) }
        }
        var forwardedFor: String?
        var hasHost = false
        var keptUpgrade = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where headerNameEquals(name, "host"):
                hasHost = true
                if hostOverride != nil { continue }
            case 6 where dropExpect && headerNameEquals(name, "expect"):
                continue
            case 14 where headerNameEquals(name, "content-length"):
                continue  // written below from the validated framing
            case 15 where headerNameEquals(name, "x-forwarded-for"):
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                continue
            case 16 where headerNameEquals(name, "x-forwarded-host"):
                continue
            case 17 where headerNameEquals(name, "x-forwarded-proto"):
                continue
            default:
                if isFixedHopByHop(name) {
                    if keepUpgrade && headerNameEquals(name, "upgrade") {
                        keptUpgrade = true
                        writeField(name, value, into: &buffer)
                    }
                    continue
                }
                if !named.isEmpty, named.contains(where: { $0.utf8.count == name.utf8.count && $0.lowercased() == name.lowercased() }) {
                    continue
                }
            }
            writeField(name, value, into: &buffer)
        }
        if keptUpgrade { buffer.writeStaticString("Connection: upgrade\r\n") }
        if let hostOverride {
            writeField("Host", hostOverride, into: &buffer)
        } else if !hasHost {
            writeField("Host", defaultHost, into: &buffer)
        }
        if let clientIP = forwarded.clientIP {
            buffer.writeStaticString("X-Forwarded-For: ")
            if let forwardedFor {
                buffer.writeString(forwardedFor)
                buffer.writeStaticString(", ")
            }
            buffer.writeString(clientIP)
            buffer.writeStaticString("\r\n")
        } else if let forwardedFor {
            writeField("X-Forwarded-For", forwardedFor, into: &buffer)
        }
        buffer.writeStaticString("X-Forwarded-Proto: ")
        buffer.writeString(forwarded.proto)
        buffer.writeStaticString("\r\n")
        if let host = forwarded.host { writeField("X-Forwarded-Host", host, into: &buffer) }
        switch framing {
        case .contentLength(let length):
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        case .none, .untilClose:
            break
        }
        buffer.writeStaticString("\r\n")
    }

    /// How the response body will be framed towards the client.
    package enum ClientFraming {
        /// No body (HEAD, 204, 304, 1xx): framing headers are passed on as the upstream sent them.
        case none
        case contentLength
        /// Chunked, passed on verbatim to an HTTP/1.1 client.
        case chunked
        /// Delimited by closing the connection (HTTP/1.0 client, or an upstream that read to close).
        case close
    }

    /// The response head for the client: the upstream's status line and headers without hop-by-hop
    /// ones, then the framing and `Connection` headers the proxy decided on.
    package static func writeClientResponse(
        _ head: RawResponseHead, into buffer: inout ByteBuffer, framing: ClientFraming, keepAlive: Bool, clientIsHTTP10: Bool,
        keepUpgrade: Bool = false
    ) {
        // At most: the head itself (the status line keeps its length) plus the lines added here.
        let reserve = head.bytes.readableBytes + 64
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: reserve) { out in
            head.bytes.withUnsafeReadableBytes { bytes in
                var writer = HeadByteWriter(out)
                writer.append("HTTP/1.1 ")
                writer.append(bytes, head.statusLine.lowerBound, head.statusLine.upperBound)
                writer.append("\r\n")
                // Names listed in Connection are hop-by-hop too.
                var tokens = ConnectionTokens()
                for field in head.fields where rawEqualIgnoringCase(bytes, field.nameStart, field.nameEnd, "connection") {
                    tokens.scan(bytes, field.valueStart..<field.valueEnd)
                }
                // Kept lines that follow each other in the upstream's head are copied in one piece.
                for field in head.fields {
                    let start = field.nameStart
                    let end = field.nameEnd
                    var keep = true
                    switch end - start {
                    case 2 where rawEqualIgnoringCase(bytes, start, end, "te"): keep = false
                    case 7 where rawEqualIgnoringCase(bytes, start, end, "trailer"): keep = false
                    case 7 where rawEqualIgnoringCase(bytes, start, end, "upgrade"): keep = keepUpgrade
                    case 10 where rawEqualIgnoringCase(bytes, start, end, "connection") || rawEqualIgnoringCase(bytes, start, end, "keep-alive"):
                        keep = false
                    case 14 where rawEqualIgnoringCase(bytes, start, end, "content-length"):
                        if case .chunked = framing { keep = false }
                        if case .close = framing { keep = false }
                    case 16 where rawEqualIgnoringCase(bytes, start, end, "proxy-connection"): keep = false
                    case 17 where rawEqualIgnoringCase(bytes, start, end, "transfer-encoding"): keep = false
                    case 18 where rawEqualIgnoringCase(bytes, start, end, "proxy-authenticate"): keep = false
                    default: break
                    }
                    // ("upgrade" is never among the other tokens.)
                    if keep, !tokens.others.isEmpty, tokens.names(bytes, start..<end) { keep = false }
                    guard keep else { continue }
                    writer.keepLine(bytes, start: start, valueEnd: field.valueEnd)
                }
                writer.flushKeptLines(bytes)
                if case .chunked = framing { writer.append("Transfer-Encoding: chunked\r\n") }
                if keepUpgrade {
                    writer.append("Connection: upgrade\r\n")
                } else if !keepAlive {
                    writer.append("Connection: close\r\n")
                } else if clientIsHTTP10 {
                    writer.append("Connection: keep-alive\r\n")
                }
                writer.append("\r\n")
                return writer.count
            }
        }
    }

    /// A head the proxy made itself (errors, static files).
    package static func writeLocalResponse(_ head: HTTPResponseHead, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(head.status.code))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in head.headers { writeField(name, value, into: &buffer) }
        buffer.writeStaticString("\r\n")
    }

    @inline(__always)
    static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    static func equalIgnoringCase(_ lhs: ByteBufferView, _ rhs: ByteBufferView) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (a, b) in zip(lhs, rhs) {
            let la = a >= 0x41 && a <= 0x5A ? a | 0x20 : a
            let lb = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
            if la != lb { return false }
        }
        return true
    }
}

extension RawResponseHead {
    /// A Content-Length value that is just 1 to 18 digits (the usual case), without making a string.
    static func plainLength(_ value: ByteBufferView) -> Int? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var number = 0
        for byte in value {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            number = number * 10 + Int(byte - 0x30)
        }
        return number
    }

    /// ``plainLength(_:)`` on raw bytes.
    @inline(__always)
    static func plainLength(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var number = 0
        for byte in value {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            number = number * 10 + Int(byte - 0x30)
        }
        return number
    }

    /// Framing and keep-alive as the head declares them, with the checks of ``ResponseFramingValidator``
    /// (502 for both Content-Length and Transfer-Encoding, or conflicting/malformed lengths).
    package func framing(requestMethod: HTTPMethod) throws(FramingError) -> (framing: MessageFraming, keepAlive: Bool) {
        var length: Int?
        var hasTE = false
        var chunkedLast = false
        var chunkedCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var failure: FramingError?
        // (One pass over the head's bytes: no views, no strings unless a value is unusual.)
        bytes.withUnsafeReadableBytes { raw in
            for field in fields {
                let start = field.nameStart
                let end = field.nameEnd
                switch end - start {
                case 10 where rawEqualIgnoringCase(raw, start, end, "connection"):
                    var tokens = ConnectionTokens()
                    tokens.scan(raw, field.valueStart..<field.valueEnd)
                    connectionClose = connectionClose || tokens.close
                    connectionKeepAlive = connectionKeepAlive || tokens.keepAlive
                case 14 where rawEqualIgnoringCase(raw, start, end, "content-length"):
                    if let number = Self.plainLength(UnsafeRawBufferPointer(rebasing: raw[field.valueStart..<field.valueEnd])) {
                        if let length, length != number {
                            failure = FramingError(.badGateway, "upstream sent conflicting Content-Length values")
                            return
                        }
                        length = number
                        continue
                    }
                    for element in listElements(String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self)) {
                        guard !element.isEmpty, element.utf8.count <= 18, element.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                            let number = Int(element)
                        else {
                            failure = FramingError(.badGateway, "upstream sent a malformed Content-Length")
                            return
                        }
                        if let length, length != number {
                            failure = FramingError(.badGateway, "upstream sent conflicting Content-Length values")
                            return
                        }
                        length = number
                    }
                case 17 where rawEqualIgnoringCase(raw, start, end, "transfer-encoding"):
                    hasTE = true
                    for element in listElements(String(decoding: raw[field.valueStart..<field.valueEnd], as: UTF8.self)) {
                        chunkedLast = tokenEquals(element, "chunked")
                        if chunkedLast { chunkedCount += 1 }
                    }
                default:
                    break
                }
            }
        }
        if let failure { throw failure }
        let http11 = versionMinor >= 1
        var keepAlive = http11 ? !connectionClose : connectionKeepAlive && !connectionClose
        if hasTE && length != nil {
            throw FramingError(.badGateway, "upstream sent both Content-Length and Transfer-Encoding")
        }
        if requestMethod == .HEAD || status < 200 || status == 204 || status == 304 {
            return (.none, keepAlive)
        }
        if hasTE {
            if chunkedLast {
                guard chunkedCount == 1 else { throw FramingError(.badGateway, "upstream sent 'chunked' twice") }
                return (.chunked, keepAlive)
            }
            keepAlive = false
            return (.untilClose, false)
        }
        if let length { return (.contentLength(length), keepAlive) }
        return (.untilClose, false)
    }
}

extension HeadWriters {
    /// ``writeUpstreamRequest(_:into:forwarded:hostOverride:defaultHost:keepUpgrade:framing:dropExpect:)``
    /// for a raw head: header lines are copied byte for byte.
    package static func writeUpstreamRequest(
        _ head: RawRequestHead, into buffer: inout ByteBuffer, forwarded: ForwardedInfo, hostOverride: String?,
        defaultHost: String, keepUpgrade: Bool, framing: MessageFraming, dropExpect: Bool
    ) {
        // At most: the head itself (kept lines and X-Forwarded-For values are copied once, and each
        // value's separator is shorter than the line it came from) plus the lines added here.
        let hostLength = hostOverride?.utf8.count ?? defaultHost.utf8.count
        let reserve = head.bytes.readableBytes + 200 + hostLength + (forwarded.clientIP?.utf8.count ?? 0)
            + forwarded.proto.utf8.count + (forwarded.host?.utf8.count ?? 0)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: reserve) { out in
            head.bytes.withUnsafeReadableBytes { bytes in
                var writer = HeadByteWriter(out)
                writer.append(bytes, 0, head.target.upperBound)
                writer.append(" HTTP/1.1\r\n")
                var tokens = ConnectionTokens()
                for field in head.fields where rawEqualIgnoringCase(bytes, field.nameStart, field.nameEnd, "connection") {
                    tokens.scan(bytes, field.valueStart..<field.valueEnd)
                }
                var forwardedFor: [RawResponseHead.Field] = []
                var hasHost = false
                var keptUpgrade = false
                // Kept lines that follow each other in the client's head are copied in one piece.
                for field in head.fields {
                    let start = field.nameStart
                    let end = field.nameEnd
                    var keep = true
                    switch end - start {
                    case 2 where rawEqualIgnoringCase(bytes, start, end, "te"): keep = false
                    case 4 where rawEqualIgnoringCase(bytes, start, end, "host"):
                        hasHost = true
                        if hostOverride != nil { keep = false }
                    case 6 where dropExpect && rawEqualIgnoringCase(bytes, start, end, "expect"): keep = false
                    case 7 where rawEqualIgnoringCase(bytes, start, end, "trailer"): keep = false
                    case 7 where rawEqualIgnoringCase(bytes, start, end, "upgrade"):
                        keep = keepUpgrade
                        if keepUpgrade { keptUpgrade = true }
                    case 10 where rawEqualIgnoringCase(bytes, start, end, "connection") || rawEqualIgnoringCase(bytes, start, end, "keep-alive"):
                        keep = false
                    case 14 where rawEqualIgnoringCase(bytes, start, end, "content-length"): keep = false  // written from the framing
                    case 15 where rawEqualIgnoringCase(bytes, start, end, "x-forwarded-for"):
                        forwardedFor.append(field)
                        keep = false
                    case 16 where rawEqualIgnoringCase(bytes, start, end, "x-forwarded-host") || rawEqualIgnoringCase(bytes, start, end, "proxy-connection"):
                        keep = false
                    case 17 where rawEqualIgnoringCase(bytes, start, end, "x-forwarded-proto") || rawEqualIgnoringCase(bytes, start, end, "transfer-encoding"):
                        keep = false
                    case 18 where rawEqualIgnoringCase(bytes, start, end, "proxy-authenticate"): keep = false
                    case 19 where rawEqualIgnoringCase(bytes, start, end, "proxy-authorization"): keep = false
                    default: break
                    }
                    if keep, !tokens.others.isEmpty, tokens.names(bytes, start..<end) { keep = false }
                    guard keep else { continue }
                    writer.keepLine(bytes, start: start, valueEnd: field.valueEnd)
                }
                writer.flushKeptLines(bytes)
                if keptUpgrade { writer.append("Connection: upgrade\r\n") }
                if let hostOverride {
                    writer.appendField("Host", hostOverride)
                } else if !hasHost {
                    writer.appendField("Host", defaultHost)
                }
                if forwarded.clientIP != nil || !forwardedFor.isEmpty {
                    writer.append("X-Forwarded-For: ")
                    var first = true
                    for field in forwardedFor where field.valueEnd > field.valueStart {
                        if !first { writer.append(", ") }
                        writer.append(bytes, field.valueStart, field.valueEnd)
                        first = false
                    }
                    if let clientIP = forwarded.clientIP {
                        if !first { writer.append(", ") }
                        writer.append(clientIP)
                    }
                    writer.append("\r\n")
                }
                writer.appendField("X-Forwarded-Proto", forwarded.proto)
                if let host = forwarded.host { writer.appendField("X-Forwarded-Host", host) }
                switch framing {
                case .contentLength(let length):
                    writer.append("Content-Length: ")
                    writer.appendDecimal(length)
                    writer.append("\r\n")
                case .chunked:
                    writer.append("Transfer-Encoding: chunked\r\n")
                case .none, .untilClose:
                    break
                }
                writer.append("\r\n")
                return writer.count
            }
        }
    }
}

extension RawResponseHead {
    /// True when the field's name equals a lower-case literal, ignoring ASCII case.
    package static func fieldNameIs(_ view: ByteBufferView, _ lowercased: StaticString) -> Bool {
        bytesEqualIgnoringCase(view, lowercased)
    }
}

extension RawRequestHead {
    package func nameIs(_ field: RawResponseHead.Field, _ lowercased: StaticString) -> Bool {
        bytesEqualIgnoringCase(name(field), lowercased)
    }
}
