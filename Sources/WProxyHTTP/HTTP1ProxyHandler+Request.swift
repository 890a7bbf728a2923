import NIOCore
import NIOHTTP1
import WProxyDialer

extension HTTP1ProxyHandler {
    /// A new request head: check it, then answer locally or choose an upstream.
    func startRequest(_ head: HTTPRequestHead) {
        request = head
        clientHost = nil
        startedAt = .now()
        lastActivity = startedAt
        headStartedAt = nil
        headBytesSeen = 0
        requestLineLength = nil
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
        upgradeHead = nil
        closeAfterResponse = quiescing
        isIdempotent = Self.isIdempotent(head.method)

        if head.uri.utf8.count > settings.maxURISize {
            respondLocally(.uriTooLong, "request URI too long (limit \(settings.maxURISize) bytes)", close: true)
            return
        }
        if Self.headSize(head) > settings.maxHeaderSize {
            respondLocally(.requestHeaderFieldsTooLarge, "request header section too large (limit \(settings.maxHeaderSize) bytes)", close: true)
            return
        }
        let facts: RequestHeadFacts
        do {
            facts = try RequestFramingValidator.scan(head)
        } catch {
            clientKeepAlive = false
            respondLocally(error.status, "bad request: \(error.reason)", close: true)
            return
        }
        requestFraming = facts.framing
        clientKeepAlive = facts.keepAlive
        clientHost = facts.host
        if let maxBody = settings.maxBody, case .contentLength(let length) = requestFraming, length > maxBody {
            respondLocally(.payloadTooLarge, "request body too large (limit \(maxBody) bytes)", close: true)
            return
        }
        isUpgrade = facts.isUpgrade
        expectContinue = false
        if let expect = facts.expect {
            guard expect.lowercased() == "100-continue" else {
                respondLocally(.expectationFailed, "unsupported Expect: \(expect.prefix(40))", close: true)
                return
            }
            if case .none = requestFraming {} else { expectContinue = head.version == .http1_1 }
        }

        switch phases.requestFilter(head, eventLoop: context.eventLoop) {
        case .proxy:
            chooseUpstream()
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

    /// Request line plus header lines, as sent (close enough: separators are normalised).
    static func headSize(_ head: HTTPRequestHead) -> Int {
        var size = head.uri.utf8.count + 16
        for (name, value) in head.headers { size += name.utf8.count + value.utf8.count + 4 }
        return size + 2
    }

    /// Picks the next upstream and sends the request there (a pooled connection, or a new one).
    func chooseUpstream() {
        switch phases.upstreamPeer(request, clientAddress: clientAddress, tried: tried) {
        case .noUpstreams:
            respondLocally(.notFound, "not found", close: !requestEndedOrEmpty)
        case .noneAvailable:
            respondLocally(.serviceUnavailable, "no healthy upstream", close: !requestEndedOrEmpty)
        case .peer(let chosen):
            tried.insert(chosen.id)
            attempts += 1
            peer = chosen
            if !isUpgrade, let connection = pool.take(chosen.id) {
                attach(connection, reused: true)
            } else {
                dial(chosen)
            }
        }
    }

    /// True when no request body remains unread (so the connection can stay open after an error).
    var requestEndedOrEmpty: Bool {
        if requestEnded { return true }
        if case .none = requestFraming { return true }
        return false
    }

    func dial(_ target: UpstreamPeer) {
        phase = .connecting
        let loop = context.eventLoop
        settings.dialer.connect(host: target.host, port: target.port, on: loop).flatMapThrowing { channel in
            try UpstreamConnection.install(on: channel, peerID: target.id)
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
                if attempts <= phases.retries {
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
        upstream = connection
        upstreamReused = reused
        connection.delegate = self
        connection.beginExchange(method: request.method)
        guard let peer else { return }
        if !assigned {
            assigned = true
            phases.requestAssigned(peer, active: true)
        }
        phase = .awaitingResponse
        upstreamStartedAt = .now()
        var head = context.channel.allocator.buffer(capacity: 256 + request.uri.utf8.count + request.headers.count * 48)
        HeadWriters.writeUpstreamRequest(
            request, into: &head, forwarded: ForwardedInfo(clientIP: clientIP, proto: settings.scheme, host: clientHost),
            hostOverride: settings.sendUpstreamHost ? peer.hostHeader : nil, defaultHost: peer.hostHeader,
            keepUpgrade: isUpgrade, framing: requestFraming, dropExpect: expectContinue)
        connection.write(head)
        if requestEnded {
            writeRequestEnd(nil, to: connection)
        } else if expectContinue && bodyReceived == 0 && queue.isEmpty {
            context.write(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
            context.flush()
        }
        drainBodyFromQueue(to: connection)
        connection.flush()
        if let deadline = timerDeadline, deadline <= upstreamStartedAt + settings.upstreamTimeout {} else {
            armTimer(upstreamStartedAt + settings.upstreamTimeout)
        }
        connection.read()
        maybeReadClient()
    }

    /// Body parts that arrived before the upstream was ready.
    func drainBodyFromQueue(to connection: UpstreamConnection) {
        while !requestEnded, let first = queue.first {
            if case .head = first { return }
            forwardBodyPart(queue.removeFirst(), to: connection)
        }
    }

    func forwardBodyPart(_ part: HTTPServerRequestPart, to connection: UpstreamConnection) {
        switch part {
        case .head:
            queue.append(part)  // a pipelined request: wait for the current one
        case .body(let buffer):
            bodyReceived += buffer.readableBytes
            if let maxBody = settings.maxBody, bodyReceived > maxBody {
                bodyTooLarge(maxBody)
                return
            }
            bodySent += buffer.readableBytes
            if case .chunked = requestFraming {
                // llhttp hands over chunk data: frame it again for the upstream.
                guard buffer.readableBytes > 0 else { return }
                var size = context.channel.allocator.buffer(capacity: 18)
                size.writeString(String(buffer.readableBytes, radix: 16))
                size.writeStaticString("\r\n")
                connection.write(size)
                connection.write(buffer)
                connection.write(ByteBuffer(staticString: "\r\n"))
            } else {
                connection.write(buffer)
            }
        case .end(let trailers):
            requestEnded = true
            writeRequestEnd(trailers, to: connection)
            connection.flush()
            // The upstream-timeout counts from the end of the request.
            upstreamStartedAt = .now()
        }
    }

    /// The end of a chunked request body (with its trailers); nothing for other framings.
    func writeRequestEnd(_ trailers: HTTPHeaders?, to connection: UpstreamConnection) {
        guard case .chunked = requestFraming else { return }
        guard let trailers, !trailers.isEmpty else {
            connection.write(ByteBuffer(staticString: "0\r\n\r\n"))
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeStaticString("0\r\n")
        for (name, value) in trailers { HeadWriters.writeField(name, value, into: &buffer) }
        buffer.writeStaticString("\r\n")
        connection.write(buffer)
    }

    func discardBodyPart(_ part: HTTPServerRequestPart) {
        switch part {
        case .head: queue.append(part)
        case .body: break
        case .end: requestEnded = true
        }
    }

    private func bodyTooLarge(_ maxBody: Int) {
        closeAfterResponse = true
        abandonUpstream()
        respondLocally(.payloadTooLarge, "request body too large (limit \(maxBody) bytes)", close: true)
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
