import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Turns one HTTP/2 stream into the byte stream of one HTTP/1.1 exchange for the engine, and the
/// engine's HTTP/1.1 response bytes back into HEADERS and DATA frames.
///
/// Request side: the header block becomes a request head (`:authority` as `Host`, cookies joined,
/// connection-specific fields dropped); a body with `content-length` keeps it (NIOHTTP2 checks the
/// DATA total against it), any other body is sent chunked, with trailers as chunked trailers.
/// Field names and values holding CR, LF or NUL reset the stream (`PROTOCOL_ERROR`): serialised to
/// HTTP/1 they would forge header lines (request smuggling). Nothing follows the end of the request,
/// so the engine never sees a second request on a stream.
///
/// Response side: the head is parsed with the engine's own parser; 1xx heads are dropped; the body
/// is passed on as DATA frames by its framing (length, chunked data without the framing, or until
/// the engine closes), and the stream ends with the body. Write promises complete with the frame
/// that carried the bytes (at once when the bytes were only framing).
final class HTTP2StreamBridgeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum RequestState {
        case head, body(chunked: Bool), done
    }

    private enum ResponseState {
        case head, body(MessageFraming), done
    }

    private let scheme: String
    private var requestState = RequestState.head
    private var responseState = ResponseState.head
    private var requestMethod = HTTPMethod.GET
    private var pendingHead: ByteBuffer?
    private var remaining = 0
    private var tracker = ChunkedTracker()
    private var flushing = false
    static let maxResponseHead = 64 << 10

    init(scheme: String) {
        self.scheme = scheme
    }

    // MARK: Request (client → engine)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        switch (payload, requestState) {
        case (.headers(let headers), .head):
            requestHead(context: context, headers.headers, endStream: headers.endStream)
        case (.data(let data), .body(let chunked)):
            guard case .byteBuffer(var bytes) = data.data else { return }
            if chunked {
                var out = context.channel.allocator.buffer(capacity: bytes.readableBytes + 24)
                if bytes.readableBytes > 0 {
                    out.writeString(String(bytes.readableBytes, radix: 16))
                    out.writeStaticString("\r\n")
                    out.writeBuffer(&bytes)
                    out.writeStaticString("\r\n")
                }
                if data.endStream {
                    out.writeStaticString("0\r\n\r\n")
                    requestState = .done
                }
                if out.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(out)) }
            } else {
                if data.endStream { requestState = .done }
                if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
            }
        case (.headers(let trailers), .body(let chunked)):
            // Trailers end the request.
            requestState = .done
            guard chunked else { return }
            var out = context.channel.allocator.buffer(capacity: 64)
            out.writeStaticString("0\r\n")
            for (name, value, _) in trailers.headers where !name.hasPrefix(":") {
                guard Self.isSafe(name), Self.isSafe(value) else {
                    reset(context: context)
                    return
                }
                out.writeString(name)
                out.writeStaticString(": ")
                out.writeString(value)
                out.writeStaticString("\r\n")
            }
            out.writeStaticString("\r\n")
            context.fireChannelRead(wrapInboundOut(out))
        default:
            break  // RST_STREAM, PRIORITY, WINDOW_UPDATE...; frames after the end are ignored
        }
    }

    private func requestHead(context: ChannelHandlerContext, _ headers: HPACKHeaders, endStream: Bool) {
        var method: String?
        var path: String?
        var authority: String?
        var host: String?
        var cookies: [String] = []
        var hasLength = false
        var out = context.channel.allocator.buffer(capacity: 512)
        var fields = context.channel.allocator.buffer(capacity: 512)
        for (name, value, _) in headers {
            guard Self.isSafe(name), Self.isSafe(value) else {
                reset(context: context)
                return
            }
            if name.hasPrefix(":") {
                switch name {
                case ":method": method = value
                case ":path": path = value
                case ":authority": authority = value
                default: break  // :scheme is known; :protocol (extended CONNECT) is not supported
                }
                continue
            }
            switch name {
            case "host": host = value
            case "cookie": cookies.append(value)
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings":
                continue
            case "te":
                if value.lowercased() != "trailers" { continue }
                fields.writeString(name)
                fields.writeStaticString(": ")
                fields.writeString(value)
                fields.writeStaticString("\r\n")
            default:
                if name == "content-length" { hasLength = true }
                fields.writeString(name)
                fields.writeStaticString(": ")
                fields.writeString(value)
                fields.writeStaticString("\r\n")
            }
        }
        guard let method, let path, !method.isEmpty, !path.isEmpty, !method.contains(" "), !path.contains(" ") else {
            reset(context: context)
            return
        }
        requestMethod = HTTPMethod(rawValue: method)
        out.writeString(method)
        out.writeStaticString(" ")
        out.writeString(path)
        out.writeStaticString(" HTTP/1.1\r\n")
        if let hostValue = authority ?? host {
            out.writeStaticString("host: ")
            out.writeString(hostValue)
            out.writeStaticString("\r\n")
        }
        out.writeBuffer(&fields)
        if !cookies.isEmpty {
            out.writeStaticString("cookie: ")
            out.writeString(cookies.joined(separator: "; "))
            out.writeStaticString("\r\n")
        }
        if endStream {
            if !hasLength && Self.expectsBody(requestMethod) { out.writeStaticString("content-length: 0\r\n") }
            requestState = .done
        } else if hasLength {
            requestState = .body(chunked: false)
        } else {
            out.writeStaticString("transfer-encoding: chunked\r\n")
            requestState = .body(chunked: true)
        }
        out.writeStaticString("\r\n")
        context.fireChannelRead(wrapInboundOut(out))
    }

    private static func expectsBody(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .DELETE, .OPTIONS, .TRACE, .CONNECT: false
        default: true
        }
    }

    /// No CR, LF or NUL (NIOHTTP2 already rejects upper-case names and connection-specific fields).
    static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    private func reset(context: ChannelHandlerContext) {
        requestState = .done
        context.writeAndFlush(wrapOutboundOut(.rstStream(.protocolError)), promise: nil)
        context.close(promise: nil)
    }

    // MARK: Response (engine → client)

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        var promise = promise
        while bytes.readableBytes > 0 {
            switch responseState {
            case .head:
                if var pending = pendingHead {
                    pendingHead = nil
                    pending.writeBuffer(&bytes)
                    bytes = pending
                }
                let head: RawResponseHead
                do {
                    guard let parsed = try bytes.readRawResponseHead(limit: Self.maxResponseHead) else {
                        pendingHead = bytes
                        promise?.succeed()
                        return
                    }
                    head = parsed
                } catch {
                    failResponse(context: context, promise: promise)
                    return
                }
                if head.status < 200 { continue }  // 100 Continue and the like: not needed in HTTP/2
                let framing: MessageFraming
                do {
                    framing = try head.framing(requestMethod: requestMethod).framing
                } catch {
                    failResponse(context: context, promise: promise)
                    return
                }
                let endStream: Bool
                switch framing {
                case .none, .contentLength(0): endStream = true
                case .contentLength(let length): endStream = false; remaining = length
                case .chunked, .untilClose: endStream = false
                }
                responseState = endStream ? .done : .body(framing)
                let frame = HTTP2Frame.FramePayload.headers(.init(headers: Self.responseHeaders(head), endStream: endStream))
                context.write(wrapOutboundOut(frame), promise: endStream || bytes.readableBytes == 0 ? promise : nil)
                if endStream || bytes.readableBytes == 0 { promise = nil }
            case .body(let framing):
                writeBody(context: context, &bytes, framing: framing, promise: &promise)
            case .done:
                bytes.moveReaderIndex(to: bytes.writerIndex)
            }
        }
        promise?.succeed()
    }

    private func writeBody(
        context: ChannelHandlerContext, _ bytes: inout ByteBuffer, framing: MessageFraming, promise: inout EventLoopPromise<Void>?
    ) {
        switch framing {
        case .contentLength:
            let take = min(remaining, bytes.readableBytes)
            remaining -= take
            let slice = bytes.readSlice(length: take)!
            let end = remaining == 0
            if end {
                responseState = .done
                bytes.moveReaderIndex(to: bytes.writerIndex)
            }
            context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(slice), endStream: end))), promise: promise)
            promise = nil
        case .chunked:
            var ranges: [Range<Int>] = []
            do {
                _ = try bytes.withUnsafeReadableBytes { raw in
                    try tracker.consume(raw) { ranges.append($0) }
                }
            } catch {
                failResponse(context: context, promise: promise)
                promise = nil
                bytes.moveReaderIndex(to: bytes.writerIndex)
                return
            }
            let done = tracker.isDone
            var data: ByteBuffer
            if ranges.count == 1, let range = ranges.first {
                data = bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count)!
            } else {
                data = context.channel.allocator.buffer(capacity: ranges.reduce(0) { $0 + $1.count })
                for range in ranges {
                    var slice = bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count)!
                    data.writeBuffer(&slice)
                }
            }
            bytes.moveReaderIndex(to: bytes.writerIndex)
            if done { responseState = .done }
            if data.readableBytes > 0 || done {
                context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(data), endStream: done))), promise: promise)
                promise = nil
            }
        case .untilClose:
            let slice = bytes
            bytes.moveReaderIndex(to: bytes.writerIndex)
            context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(slice), endStream: false))), promise: promise)
            promise = nil
        case .none:
            responseState = .done
            bytes.moveReaderIndex(to: bytes.writerIndex)
        }
    }

    private func failResponse(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        responseState = .done
        promise?.succeed()
        context.writeAndFlush(wrapOutboundOut(.rstStream(.internalError)), promise: nil)
        context.close(promise: nil)
    }

    func flush(context: ChannelHandlerContext) {
        flushing = true
        context.flush()
        flushing = false
    }

    /// A flush that sends END_STREAM on a stream whose request has ended closes the stream at once,
    /// inside the engine's `flush()` call; the engine hears of it after that call has returned.
    func channelInactive(context: ChannelHandlerContext) {
        guard flushing else {
            context.fireChannelInactive()
            return
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.fireChannelInactive() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if case .body(.untilClose) = responseState {
            // The engine ends a close-delimited body by closing: in HTTP/2 that is END_STREAM.
            responseState = .done
            context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))), promise: nil)
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }

    /// `:status` and the fields HTTP/2 allows (names lower-cased; connection-specific ones dropped).
    static func responseHeaders(_ head: RawResponseHead) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(head.fields.count + 1)
        headers.add(name: ":status", value: String(head.status))
        for field in head.fields {
            let name = String(decoding: head.name(field), as: UTF8.self).lowercased()
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
                continue
            default:
                headers.add(name: name, value: head.valueString(field))
            }
        }
        return headers
    }
}
