import NIOCore
import NIOHTTP1
import WProxyCore

extension HTTP1ProxyHandler {
    // MARK: UpstreamConnectionDelegate

    package func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard case .awaitingResponse = phase else { return }
        if isUpgrade && head.status == .switchingProtocols {
            // The decoder follows the head with .end; switch protocols once it has unwound.
            upgradeHead = head
            return
        }
        do {
            (responseFraming, responseKeepAlive) = try ResponseFramingValidator.scan(head, requestMethod: request.method)
        } catch {
            abandonUpstream()
            respondLocally(.badGateway, "bad gateway: \(error.reason)", close: !requestEndedOrEmpty)
            return
        }
        upstreamDuration = .now() - upstreamStartedAt
        responseStatus = Int(head.status.code)
        phase = .streamingResponse
        var out = HTTPResponseHead(version: .http1_1, status: head.status, headers: head.headers.withoutHopByHop())
        if !requestEnded || isUpgrade { closeAfterResponse = true }
        switch responseFraming {
        case .none, .contentLength:
            break
        case .chunked, .untilClose:
            out.headers.remove(name: "content-length")
            if request.version == .http1_1 {
                out.headers.add(name: "transfer-encoding", value: "chunked")
            } else {
                closeAfterResponse = true  // an HTTP/1.0 client reads to the close
            }
        }
        if !clientKeepAlive || closeAfterResponse {
            out.headers.add(name: "connection", value: "close")
        } else if request.version != .http1_1 {
            out.headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(out)), promise: nil)
    }

    package func upstreamResponseBody(_ body: ByteBuffer) {
        guard case .streamingResponse = phase else { return }
        bytesOut += body.readableBytes
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
    }

    package func upstreamResponseEnd(_ trailers: HTTPHeaders?) {
        if let head = upgradeHead, case .awaitingResponse = phase {
            upgradeHead = nil
            phase = .upgraded
            context.eventLoop.assumeIsolated().execute { [self] in
                upgrade(head)
            }
            return
        }
        guard case .streamingResponse = phase, let connection = upstream else { return }
        upstream = nil
        let reusable = requestEnded && responseKeepAlive && !isUpgrade && responseFraming != .untilClose
        if reusable {
            pool.release(connection)
        } else {
            connection.close()
        }
        if let peer, assigned {
            assigned = false
            phases.requestAssigned(peer, active: false)
        }
        let keepAlive = clientKeepAlive && !closeAfterResponse
        finishRequest(trailers: request.version == .http1_1 ? trailers : nil, keepAlive: keepAlive)
    }

    package func upstreamReadComplete() {
        context.flush()
        switch phase {
        case .awaitingResponse, .streamingResponse:
            if context.channel.isWritable {
                upstream?.read()
            } else {
                pendingUpstreamRead = true
            }
        default:
            break
        }
    }

    package func upstreamWritabilityChanged() {
        maybeReadClient()
    }

    package func upstreamFailed(_ error: any Error) {
        guard let connection = upstream else { return }
        upstream = nil
        connection.close()
        if let peer, assigned {
            assigned = false
            phases.requestAssigned(peer, active: false)
        }
        switch phase {
        case .awaitingResponse:
            guard let peer else { return }
            // Nothing of the response has arrived. A stale pooled connection is not the upstream's
            // fault; a fresh one that is reset is (passive health).
            let canResend = bodySent == 0 && (isIdempotent || requestEndedOrEmpty && upstreamReused)
            if upstreamReused && canResend && staleRetries < 3 {
                staleRetries += 1
                tried = TriedUpstreams()
                attempts -= 1
                chooseUpstream()
                return
            }
            phases.upstreamResult(peer, success: false)
            if bodySent == 0 && isIdempotent && attempts <= phases.retries {
                chooseUpstream()
                return
            }
            respondLocally(.badGateway, "upstream \(peer.name) closed the connection before responding", close: !requestEndedOrEmpty)
        case .streamingResponse:
            // The head is out: the client can only learn of the failure by a close.
            context.flush()
            finishLog()
            close()
        default:
            break
        }
    }

    // MARK: Finishing

    /// Ends the response, logs, then serves the next request or closes.
    func finishRequest(trailers: HTTPHeaders? = nil, keepAlive: Bool) {
        finishLog()
        requestsServed += 1
        if !keepAlive || quiescing {
            phase = .closed
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.write(wrapOutboundOut(.end(trailers)), promise: nil)
        context.flush()
        phase = .awaitingHead
        idleSince = .now()
        lastActivity = idleSince
        headStartedAt = nil
        headBytesSeen = 0
        requestLineLength = nil
        upstreamHead = nil
        armTimer(idleSince + settings.idleTimeout)
        while let next = queue.first {
            queue.removeFirst()
            if case .head(let head) = next {
                startRequest(head)
                return
            }
        }
        maybeReadClient()
    }

    func finishLog() {
        guard phases.logsRequests, request != nil else { return }
        phases.logging(ProxyAccessRecord(
            client: clientIP ?? "-", method: request.method.rawValue, host: clientHost ?? "-",
            path: request.uri, status: responseStatus, upstream: peer?.name ?? "-", bytesIn: bodyReceived,
            bytesOut: bytesOut, duration: .now() - startedAt, upstreamDuration: upstreamDuration))
    }

    /// Answers the current request with a short plain-text error (or a 404 for static misses).
    func respondLocally(_ status: HTTPResponseStatus, _ message: String, close: Bool) {
        abandonUpstream()
        switch phase {
        case .streamingResponse:
            responseStatus = responseStatus == 0 ? Int(status.code) : responseStatus
            finishLog()
            self.close()
            return
        case .upgraded, .closed:
            return
        default:
            break
        }
        let closing = close || !clientKeepAlive || closeAfterResponse
        let response = ErrorResponse(status, message, close: closing, allocator: context.channel.allocator)
        responseStatus = Int(status.code)
        bytesOut = response.body.readableBytes
        phase = .local
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        finishRequest(keepAlive: !closing)
    }
}
