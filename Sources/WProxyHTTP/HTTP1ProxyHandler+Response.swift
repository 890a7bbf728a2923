import NIOCore
import NIOHTTP1
import WProxyCore

extension HTTP1ProxyHandler {
    // MARK: UpstreamConnectionDelegate

    package func upstreamResponseHead(_ head: RawResponseHead, framing: MessageFraming, keepAlive: Bool) {
        guard case .awaitingResponse = phase, let connection = upstream else { return }
        if head.status == 101 {
            guard isUpgrade else {
                upstreamInvalid("upstream switched protocols without being asked")
                return
            }
            // Switch once the connection's read has unwound.
            phase = .upgraded
            context.eventLoop.assumeIsolated().execute { [self] in
                upgrade(head)
            }
            return
        }
        if phases.logsRequests { upstreamDuration = .now() - upstreamStartedAt }
        responseFraming = framing
        responseKeepAlive = keepAlive
        responseStatus = head.status
        phase = .streamingResponse
        if !requestEnded || isUpgrade { closeAfterResponse = true }
        let http10 = requestIsHTTP10
        switch framing {
        case .none: clientFraming = .none
        case .contentLength: clientFraming = .contentLength
        case .chunked:
            if http10 {
                clientFraming = .close
                connection.dechunk = true
            } else {
                clientFraming = .chunked
            }
        case .untilClose: clientFraming = .close
        }
        if case .close = clientFraming { closeAfterResponse = true }
        let keepAliveToClient = clientKeepAlive && !closeAfterResponse
        // Room for a small body too: `upstreamResponseBody` copies it behind the head.
        var room = head.bytes.readableBytes + 64
        if case .contentLength(let length) = framing, length <= Self.coalesceLimit { room += length }
        var out = allocator.buffer(capacity: room)
        // (Not `policy?.clientHead(head) ?? head`: that optional head goes through its value-witness table.)
        if let policy = peer?.policy, policy.rewritesResponse {
            HeadWriters.writeClientResponse(policy.clientHead(head), into: &out, framing: clientFraming, keepAlive: keepAliveToClient, clientIsHTTP10: http10)
        } else {
            HeadWriters.writeClientResponse(head, into: &out, framing: clientFraming, keepAlive: keepAliveToClient, clientIsHTTP10: http10)
        }
        pendingHead = out
    }

    /// Small bodies are copied behind the head so head and body leave in one write.
    static let coalesceLimit = 4096

    package func upstreamResponseBody(_ body: ByteBuffer) {
        guard case .streamingResponse = phase else { return }
        bytesOut += body.readableBytes
        if var head = pendingHead {
            pendingHead = nil
            if body.readableBytes <= Self.coalesceLimit {
                var body = body
                head.writeBuffer(&body)
                writeClient(head)
                return
            }
            writeClient(head)
        }
        writeClient(body)
    }

    /// Writes a response head still held back for coalescing.
    func writePendingHead() {
        if let head = pendingHead {
            pendingHead = nil
            writeClient(head)
        }
    }

    package func upstreamResponseEnd() {
        guard case .streamingResponse = phase, let connection = upstream else { return }
        writePendingHead()
        upstream = nil
        if requestEnded && !isUpgrade {
            if moveToLane(connection) { return }
            pool.release(connection)
        } else {
            connection.close()
        }
        if let peer, assigned {
            assigned = false
            phases.requestAssigned(peer, active: false)
        }
        finishRequest(keepAlive: clientKeepAlive && !closeAfterResponse)
    }

    package func upstreamInvalid(_ reason: String) {
        guard upstream != nil else { return }
        abandonUpstream()
        respondLocally(.badGateway, "bad gateway: \(reason)", close: !requestEndedOrEmpty)
    }

    package func upstreamReadComplete() {
        writePendingHead()
        flushClient()
        switch phase {
        case .awaitingResponse, .streamingResponse:
            if clientWritable {
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
            if bodySent == 0 && isIdempotent && attempts <= peer.policy?.retries ?? phases.retries {
                chooseUpstream()
                return
            }
            respondLocally(.badGateway, "upstream \(peer.name) closed the connection before responding", close: !requestEndedOrEmpty)
        case .streamingResponse:
            // The head is out: the client can only learn of the failure by a close.
            writePendingHead()
            flushClient()
            finishLog()
            close()
        default:
            break
        }
    }

    // MARK: Finishing

    /// The response is complete: log, then serve the next request or close.
    func finishRequest(keepAlive: Bool) {
        finishLog()
        requestsServed += 1
        if !keepAlive || quiescing || !requestEnded {
            phase = .closed
            let channel = context.channel
            flushClient()  // queued direct writes go first (NIO's write below only waits for its own)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        flushClient()
        phase = .awaitingHead
        spareFields = request.fields  // unique again once `request` lets go of it
        request = .none  // an idle connection holds no request bytes
        hasRequest = false
        peer = nil
        idleSince = .now()
        lastActivity = idleSince
        headStartedAt = nil
        armTimer(canPark ? idleSince + Self.parkAfter : idleSince + settings.idleTimeout)
        if inbound?.readableBytes ?? 0 > 0 {
            process()
        }
        if case .awaitingHead = phase, !processing { maybeReadClient() }
    }

    func finishLog() {
        guard phases.logsRequests else { return }
        phases.logging(ProxyAccessRecord(
            client: clientIP ?? "-", method: hasRequest ? request.method.rawValue : "-", host: clientHost ?? "-",
            path: hasRequest ? request.uri : "-", status: responseStatus, upstream: peer?.name ?? "-", bytesIn: bodyReceived,
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
        let response = ErrorResponse(status, message, close: closing, allocator: allocator)
        responseStatus = Int(status.code)
        bytesOut = response.body.readableBytes
        phase = .local
        var out = allocator.buffer(capacity: 192 + response.body.readableBytes)
        HeadWriters.writeLocalResponse(response.head, into: &out)
        if !hasRequest || request.method != .HEAD {
            var body = response.body
            out.writeBuffer(&body)
        }
        writeClient(out)
        finishRequest(keepAlive: !closing)
    }
}
