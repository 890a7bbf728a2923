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
        buffer.writeStaticString("HTTP/1.1 ")
        var bytes = head.bytes
        buffer.writeBytes(bytes.readableBytesView[head.statusLine])
        buffer.writeStaticString("\r\n")
        // Names listed in Connection are hop-by-hop too.
        let view = bytes.readableBytesView
        var tokens = ConnectionTokens()
        for field in head.fields where head.nameIs(field, "connection") {
            tokens.scan(view, field.valueStart..<field.valueEnd)
        }
        for field in head.fields {
            let name = head.name(field)
            switch name.count {
            case 2 where bytesEqualIgnoringCase(name, "te"): continue
            case 7 where bytesEqualIgnoringCase(name, "trailer"): continue
            case 7 where bytesEqualIgnoringCase(name, "upgrade"):
                if !keepUpgrade { continue }
                buffer.writeBytes(bytes.readableBytesView[field.nameStart..<field.valueEnd])
                buffer.writeStaticString("\r\n")
                continue
            case 10 where bytesEqualIgnoringCase(name, "connection") || bytesEqualIgnoringCase(name, "keep-alive"): continue
            case 14 where bytesEqualIgnoringCase(name, "content-length"):
                if case .chunked = framing { continue }
                if case .close = framing { continue }
            case 16 where bytesEqualIgnoringCase(name, "proxy-connection"): continue
            case 17 where bytesEqualIgnoringCase(name, "transfer-encoding"): continue
            case 18 where bytesEqualIgnoringCase(name, "proxy-authenticate"): continue
            default: break
            }
            if !tokens.others.isEmpty, tokens.names(name, in: view) { continue }
            buffer.writeBytes(view[field.nameStart..<field.valueEnd])
            buffer.writeStaticString("\r\n")
        }
        bytes = ByteBuffer()
        if case .chunked = framing { buffer.writeStaticString("Transfer-Encoding: chunked\r\n") }
        if keepUpgrade {
            buffer.writeStaticString("Connection: upgrade\r\n")
        } else if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if clientIsHTTP10 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
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

    /// Framing and keep-alive as the head declares them, with the checks of ``ResponseFramingValidator``
    /// (502 for both Content-Length and Transfer-Encoding, or conflicting/malformed lengths).
    package func framing(requestMethod: HTTPMethod) throws(FramingError) -> (framing: MessageFraming, keepAlive: Bool) {
        var length: Int?
        var hasTE = false
        var chunkedLast = false
        var chunkedCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        for field in fields {
            let name = self.name(field)
            switch name.count {
            case 10 where bytesEqualIgnoringCase(name, "connection"):
                var tokens = ConnectionTokens()
                tokens.scan(bytes.readableBytesView, field.valueStart..<field.valueEnd)
                connectionClose = connectionClose || tokens.close
                connectionKeepAlive = connectionKeepAlive || tokens.keepAlive
            case 14 where bytesEqualIgnoringCase(name, "content-length"):
                if let number = Self.plainLength(value(field)) {
                    if let length, length != number { throw FramingError(.badGateway, "upstream sent conflicting Content-Length values") }
                    length = number
                    continue
                }
                for element in listElements(valueString(field)) {
                    guard !element.isEmpty, element.utf8.count <= 18, element.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                        let number = Int(element)
                    else { throw FramingError(.badGateway, "upstream sent a malformed Content-Length") }
                    if let length, length != number { throw FramingError(.badGateway, "upstream sent conflicting Content-Length values") }
                    length = number
                }
            case 17 where bytesEqualIgnoringCase(name, "transfer-encoding"):
                hasTE = true
                for element in listElements(valueString(field)) {
                    chunkedLast = tokenEquals(element, "chunked")
                    if chunkedLast { chunkedCount += 1 }
                }
            default:
                break
            }
        }
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
        let view = head.bytes.readableBytesView
        buffer.writeBytes(view[0..<head.target.upperBound])
        buffer.writeStaticString(" HTTP/1.1\r\n")
        var tokens = ConnectionTokens()
        for field in head.fields where head.nameIs(field, "connection") {
            tokens.scan(view, field.valueStart..<field.valueEnd)
        }
        var forwardedFor: [RawResponseHead.Field] = []
        var hasHost = false
        var keptUpgrade = false
        for field in head.fields {
            let name = head.name(field)
            switch name.count {
            case 2 where bytesEqualIgnoringCase(name, "te"): continue
            case 4 where bytesEqualIgnoringCase(name, "host"):
                hasHost = true
                if hostOverride != nil { continue }
            case 6 where dropExpect && bytesEqualIgnoringCase(name, "expect"): continue
            case 7 where bytesEqualIgnoringCase(name, "trailer"): continue
            case 7 where bytesEqualIgnoringCase(name, "upgrade"):
                guard keepUpgrade else { continue }
                keptUpgrade = true
                buffer.writeBytes(view[field.nameStart..<field.valueEnd])
                buffer.writeStaticString("\r\n")
                continue
            case 10 where bytesEqualIgnoringCase(name, "connection") || bytesEqualIgnoringCase(name, "keep-alive"): continue
            case 14 where bytesEqualIgnoringCase(name, "content-length"): continue  // written from the framing
            case 15 where bytesEqualIgnoringCase(name, "x-forwarded-for"):
                forwardedFor.append(field)
                continue
            case 16 where bytesEqualIgnoringCase(name, "x-forwarded-host") || bytesEqualIgnoringCase(name, "proxy-connection"):
                continue
            case 17 where bytesEqualIgnoringCase(name, "x-forwarded-proto") || bytesEqualIgnoringCase(name, "transfer-encoding"):
                continue
            case 18 where bytesEqualIgnoringCase(name, "proxy-authenticate"): continue
            case 19 where bytesEqualIgnoringCase(name, "proxy-authorization"): continue
            default: break
            }
            if !tokens.others.isEmpty, tokens.names(name, in: view) { continue }
            buffer.writeBytes(view[field.nameStart..<field.valueEnd])
            buffer.writeStaticString("\r\n")
        }
        if keptUpgrade { buffer.writeStaticString("Connection: upgrade\r\n") }
        if let hostOverride {
            writeField("Host", hostOverride, into: &buffer)
        } else if !hasHost {
            writeField("Host", defaultHost, into: &buffer)
        }
        if forwarded.clientIP != nil || !forwardedFor.isEmpty {
            buffer.writeStaticString("X-Forwarded-For: ")
            var first = true
            for field in forwardedFor where field.valueEnd > field.valueStart {
                if !first { buffer.writeStaticString(", ") }
                buffer.writeBytes(view[field.valueStart..<field.valueEnd])
                first = false
            }
            if let clientIP = forwarded.clientIP {
                if !first { buffer.writeStaticString(", ") }
                buffer.writeString(clientIP)
            }
            buffer.writeStaticString("\r\n")
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
