import Logging
import NIOCore
import NIOHTTP1
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyProtocols

extension ForwardHandler {
    /// A response part from the origin connection this handler is using.
    func originRead(_ part: HTTPClientResponsePart) {
        guard case .exchanging = state, let context else { return }
        switch part {
        case .head(let response):
            let code = response.status.code
            if code == 101 {
                guard isUpgrade else {
                    return reject(.badGateway, "wproxy: the origin switched protocols without being asked")
                }
                return beginUpgrade(response)
            }
            if (100..<200).contains(code) {
                // 100 Continue and friends: pass on; the final head follows.
                var headers = response.headers
                headers.removeHopByHop()
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
                return
            }
            writeResponseHead(response, context: context)
        case .body(let buffer):
            bytesDown &+= buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            responseEnded = true
            finishExchange(trailers: trailers)
        }
    }

    private func writeResponseHead(_ response: HTTPResponseHead, context: ChannelHandlerContext) {
        status = Int(response.status.code)
        responseHeadSent = true
        originReusable = response.isKeepAlive && !isUpgrade
        if isUpgrade { clientKeepAlive = false }  // the request decoder stopped at the upgrade request
        var headers = response.headers
        let chunked = headers.isChunkedTransferEncoding
        let hasLength = headers.contains(name: "content-length")
        headers.removeHopByHopIfPresent()
        let bodyless = method == .HEAD || status == 204 || status == 304
        if !bodyless && !chunked && !hasLength { originReusable = false }  // delimited by the origin closing
        let clientSpeaks11 = requestVersion.major == 1 && requestVersion.minor >= 1
        if !bodyless && (chunked || !hasLength) {
            // Chunked, or delimited by the origin closing: re-chunk for an HTTP/1.1 client so its
            // connection survives; an HTTP/1.0 client gets the bytes until we close.
            if clientSpeaks11 {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            } else {
                clientKeepAlive = false
            }
        }
        if !clientKeepAlive {
            headers.add(name: "Connection", value: "close")
        } else if !clientSpeaks11 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        headers.addVia()
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
    }

    func originReadComplete() {
        guard case .exchanging = state, let context else { return }
        lastActivity = NIODeadline.now()
        context.flush()
        guard !responseEnded, let originChannel else { return }
        if context.channel.isWritable {
            originChannel.read()
        } else {
            waitingForClientWritable = true
        }
    }

    /// The response ended: give the origin connection back (or close it), log, and serve the next request.
    private func finishExchange(trailers: HTTPHeaders?) {
        guard let context else { return }
        let reusable = originReusable && requestEnded
        releaseOrigin(reusable: reusable)
        log()
        if clientKeepAlive && requestEnded && !clientInputClosed {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            state = .idle
            logMethod = "-"
            logTarget = "-"
            started = .now()
            lastActivity = NIODeadline.now()
            if !queued.isEmpty {
                let parts = queued
                queued.removeAll()
                for part in parts { handle(part) }
            }
            readClientIfWanted()
        } else {
            state = .closed
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Detaches from the origin connection: parks it in the pool when it can serve another request.
    func releaseOrigin(reusable: Bool) {
        guard let origin else { return }
        origin.owner = nil
        self.origin = nil
        let channel = originChannel
        originChannel = nil
        waitingForClientWritable = false
        if !(reusable && origin.park()) {
            channel?.close(promise: nil)
        }
    }

    /// The origin connection ended (EOF, reset or a malformed response).
    func originEnded(error: (any Error)?) {
        guard case .exchanging = state else { return }
        if responseEnded { return }
        if !responseHeadSent {
            releaseOrigin(reusable: false)
            if reusedOrigin && !retried && bytesUp == 0 {
                // A pooled connection the origin had just closed: try once more on a fresh one.
                retried = true
                pendingBody = requestEnded ? [.end(nil)] : []
                return connectToOrigin(allowPooled: false)
            }
            let reason = error.map { "sent a malformed response (\($0))" } ?? "closed the connection before responding"
            return reject(.badGateway, "wproxy: origin \(originKey) \(reason)")
        }
        // Mid-body: the client cannot be told; cut its connection so it sees a truncated response.
        releaseOrigin(reusable: false)
        log()
        state = .closed
        context?.close(promise: nil)
    }
}
