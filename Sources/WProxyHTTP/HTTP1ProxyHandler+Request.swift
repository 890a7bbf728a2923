import NIOCore
import NIOHTTP1
import WProxyDialer

extension HTTP1ProxyHandler {
    /// A new request head: check it, then answer locally or choose an upstream.
    func startRequest(_ head: RawRequestHead) {
        if requestsServed == 1, let clientDirect { clientDirect.open(context.channel) }
        request = head
        hasRequest = true
        requestMethod = head.method
        requestIsHTTP10 = head.versionMinor == 0
        clientHost = nil
        startedAt = lastActivity  // process() just read the clock
        headStartedAt = nil
        requestEnded = false
        bodyReceived = 0
        bodySent = 0
        peer = nil
        upstreamReused = false
        assigned = false
        tried = TriedUpstreams()
        attempts = 0
        staleRetries = 0
        responseStatus = 0
        bytesOut = 0
        upstreamDuration = nil
        pendingUpstreamRead = false
        closeAfterResponse = quiescing || clientEOF
        isIdempotent = Self.isIdempotent(head.method)
        requestFraming = .none
        requestEnded = true
        isUpgrade = false

        let facts: RawRequestFacts
        do {
            facts = try head.facts()
        } catch {
            clientKeepAlive = false
            inbound = nil
            respondLocally(error.status, "bad request: \(error.reason)", close: true)
            return
        }
        requestFraming = facts.framing
        clientKeepAlive = facts.keepAlive
        clientHost = facts.host
        switch facts.framing {
        case .none, .untilClose:
            requestEnded = true
        case .contentLength(let length):
            requestEnded = false
            bodyRemaining = length
            if let maxBody = settings.maxBody, length > maxBody {
                inbound = nil
                respondLocally(.payloadTooLarge, "request body too large (limit \(maxBody) bytes)", close: true)
                return
            }
        case .chunked:
            requestEnded = false
            requestChunks = ChunkedTracker()
        }
        isUpgrade = facts.isUpgrade
        expectContinue = false
        if let expect = facts.expect {
            guard expect.lowercased() == "100-continue" else {
                inbound = nil
                respondLocally(.expectationFailed, "unsupported Expect: \(expect.prefix(40))", close: true)
                return
            }
            expectContinue = !requestEnded && head.versionMinor == 1
        }

        switch phases.requestFilter(head, eventLoop: context.eventLoop) {
        case .proxy:
            chooseUpstream(head)
        case .local(let future):
            phase = .filtering
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
                guard case .filtering = phase else {
                    if case .success(let response?) = result, case .file(let handle, _, _) = response.body { try? handle.close() }
                    return
                }
                switch result {
                case .success(let response?): serveLocal(response)
                case .success(nil): chooseUpstream()
                case .failure(let error): respondLocally(.internalServerError, "local response failed: \(error)", close: true)
                }
            }
        }
    }

    static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: return true
        default: return false
        }
    }

    /// Picks the next upstream and sends the request there (a pooled connection, or a new one).
    func chooseUpstream() {
        chooseUpstream(request)
    }

    /// `head` is `request`, passed down from `startRequest` on the hot path: reading the stored
    /// property copies the head, and a head is copied through its value-witness table (about 150
    /// instructions and two reference counts each time).
    func chooseUpstream(_ head: RawRequestHead) {
        if let handover {
            self.handover = nil
            switch handover {
            case .chosen(let chosen, let connection):
                // The lane picked the upstream (and maybe handed its pooled socket) for this request.
                tried.insert(chosen.id)
                attempts += 1
                peer = chosen
                guard let connection, !isUpgrade else {
                    if !isUpgrade, let pooled = pool.take(chosen.id) { return attach(pooled, reused: true, head: head) }
                    return dial(chosen)
                }
                phase = .connecting
                connection.assumeIsolated().whenComplete { [self] result in
                    guard case .connecting = phase, context.channel.isActive else {
                        if case .success(let connection) = result { connection.close() }
                        return
                    }
                    switch result {
                    case .success(let connection): attach(connection, reused: true)
                    case .failure: dial(chosen)
                    }
                }
                return
            case .failed(let failed, let status, let message):
                // The lane's attempt failed (health already told): as after a failed attempt here.
                tried.insert(failed.id)
                attempts += 1
                peer = failed
                guard attempts <= failed.policy?.retries ?? phases.retries else {
                    return respondLocally(status, message, close: !requestEndedOrEmpty)
                }
            }
        }
        switch phases.upstreamPeer(head, clientAddress: clientAddress, tried: tried) {
        case .noUpstreams:
            respondLocally(.notFound, "not found", close: !requestEndedOrEmpty)
        case .noneAvailable:
            respondLocally(.serviceUnavailable, "no healthy upstream", close: !requestEndedOrEmpty)
        case .peer(let chosen):
            tried.insert(chosen.id)
            attempts += 1
            peer = chosen
            if !isUpgrade, let connection = pool.take(chosen.id) {
                attach(connection, reused: true, head: head)
            } else {
                dial(chosen)
            }
        }
    }

    /// The current route's upstream timeout, or the listener's.
    var upstreamTimeout: TimeAmount { peer?.policy?.upstreamTimeout ?? settings.upstreamTimeout }

    /// True when no request body remains unread (so the connection can stay open after an error).
    var requestEndedOrEmpty: Bool {
        if requestEnded { return true }
        if case .none = requestFraming { return true }
        return false
    }

    func dial(_ target: UpstreamPeer) {
        phase = .connecting
        settings.dialer.connect(host: target.host, port: target.port, on: context.eventLoop).flatMapThrowing { channel in
            try target.security?.secure(channel, host: target.host)
            return try UpstreamConnection.install(on: channel, peerID: target.id, directWrites: target.security == nil)
        }.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let connection):
                phases.upstreamResult(target, success: true)
                guard case .connecting = phase, context.channel.isActive else {
                    connection.close()
                    return
                }
                attach(connection, reused: false)
            case .failure(let error):
                guard case .connecting = phase else { return }
                phases.upstreamResult(target, success: false)
                if attempts <= target.policy?.retries ?? phases.retries {
                    chooseUpstream()
                } else {
                    let dial = error as? DialError
                    let status: HTTPResponseStatus = dial?.kind == .timedOut ? .gatewayTimeout : .badGateway
                    respondLocally(status, "upstream \(target.name) failed: \(dial?.kind.rawValue ?? "\(error)")", close: !requestEndedOrEmpty)
                }
            }
        }
    }

    /// Sends the request on `connection` and starts waiting for the response.
    func attach(_ connection: UpstreamConnection, reused: Bool) {
        attach(connection, reused: reused, head: request)
    }

    /// `head` is `request` (see `chooseUpstream(_:)`).
    func attach(_ connection: UpstreamConnection, reused: Bool, head: RawRequestHead) {
        guard let peer else { return }
        upstream = connection
        upstreamReused = reused
        connection.delegate = self
        connection.beginExchange(method: requestMethod)
        if !assigned {
            assigned = true
            phases.requestAssigned(peer, active: true)
        }
        phase = .awaitingResponse
        upstreamStartedAt = reused && attempts == 1 ? startedAt : .now()
        let requestBytes = head.bytes
        let borrowed = requestBorrowsReadBuffer
        var out = allocator.buffer(capacity: requestBytes.readableBytes + 200 + (borrowed ? requestBytes.readableBytes : 0))
        // (Not `policy?.upstreamHead(request) ?? request`: that optional head is copied and destroyed
        // through its value-witness table.)
        if let policy = peer.policy, policy.rewritesRequest {
            writeUpstreamHead(policy.upstreamHead(head), peer: peer, into: &out)
        } else {
            writeUpstreamHead(head, peer: peer, into: &out)
        }
        if borrowed {
            // The client's head goes behind the upstream's in the same allocation; it is only read from
            // now on, and the upstream write sees only its own bytes.
            requestBorrowsReadBuffer = false
            let upstreamEnd = out.writerIndex
            out.writeImmutableBuffer(requestBytes)
            request.bytes = out.getSlice(at: upstreamEnd, length: requestBytes.readableBytes)!
            out.moveWriterIndex(to: upstreamEnd)
        }
        connection.write(out)
        if !requestEnded {
            if expectContinue && bodyReceived == 0 && inbound?.readableBytes ?? 0 == 0 {
                endDirectClientWrites()
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
            }
            forwardBody(to: connection)
        }
        connection.flush()
        if let deadline = timerDeadline, deadline <= upstreamStartedAt + upstreamTimeout {} else {
            armTimer(upstreamStartedAt + upstreamTimeout)
        }
        connection.read()
        maybeReadClient()
    }

    private func writeUpstreamHead(_ request: RawRequestHead, peer: UpstreamPeer, into head: inout ByteBuffer) {
        HeadWriters.writeUpstreamRequest(
            request, into: &head, forwarded: ForwardedInfo(clientIP: clientIP, proto: settings.scheme, host: clientHost),
            hostOverride: settings.sendUpstreamHost ? peer.hostHeader : nil, defaultHost: peer.hostHeader,
            keepUpgrade: isUpgrade, framing: requestFraming, dropExpect: expectContinue)
    }

    /// Passes on the body bytes `inbound` holds (they keep their framing), up to the body's end.
    func forwardBody(to connection: UpstreamConnection) {
        guard var buffer = inbound, buffer.readableBytes > 0 else { return }
        lastActivity = .now()
        switch requestFraming {
        case .contentLength:
            let take = min(bodyRemaining, buffer.readableBytes)
            bodyRemaining -= take
            bodyReceived += take
            bodySent += take
            connection.write(buffer.readSlice(length: take)!)
            if bodyRemaining == 0 { requestBodyEnded() }
        case .chunked:
            let consumed: Int
            do {
                consumed = try buffer.withUnsafeReadableBytes { try requestChunks.consume($0) { _ in } }
            } catch {
                inbound = nil
                malformedBody((error as? ChunkedTracker.Malformed)?.reason ?? "malformed chunked body")
                return
            }
            bodyReceived = Int(requestChunks.dataBytes)
            if let maxBody = settings.maxBody, bodyReceived > maxBody {
                inbound = nil
                bodyTooLarge(maxBody)
                return
            }
            bodySent += consumed
            connection.write(buffer.readSlice(length: consumed)!)
            if requestChunks.isDone { requestBodyEnded() }
        case .none, .untilClose:
            requestBodyEnded()
        }
        inbound = buffer.readableBytes > 0 ? buffer : nil
    }

    private func requestBodyEnded() {
        requestEnded = true
        upstream?.flush()
        // The upstream-timeout counts from the end of the request.
        upstreamStartedAt = .now()
    }

    /// Drops the body of a request answered locally.
    func discardBody() {
        guard var buffer = inbound, buffer.readableBytes > 0 else { return }
        switch requestFraming {
        case .contentLength:
            let take = min(bodyRemaining, buffer.readableBytes)
            bodyRemaining -= take
            buffer.moveReaderIndex(forwardBy: take)
            if bodyRemaining == 0 { requestEnded = true }
        case .chunked:
            guard let consumed = try? buffer.withUnsafeReadableBytes({ try requestChunks.consume($0) { _ in } }) else {
                inbound = nil
                closeAfterResponse = true
                requestEnded = true
                return
            }
            buffer.moveReaderIndex(forwardBy: consumed)
            if requestChunks.isDone { requestEnded = true }
        case .none, .untilClose:
            requestEnded = true
        }
        inbound = buffer.readableBytes > 0 ? buffer : nil
    }

    private func bodyTooLarge(_ maxBody: Int) {
        closeAfterResponse = true
        abandonUpstream()
        respondLocally(.payloadTooLarge, "request body too large (limit \(maxBody) bytes)", close: true)
    }

    private func malformedBody(_ reason: String) {
        closeAfterResponse = true
        abandonUpstream()
        respondLocally(.badRequest, "bad request: \(reason)", close: true)
    }

    /// Drops the current upstream connection without pooling it.
    func abandonUpstream() {
        if let upstream {
            upstream.delegate = nil
            upstream.close()
            self.upstream = nil
        }
        if let peer, assigned {
            assigned = false
            phases.requestAssigned(peer, active: false)
        }
    }
}
