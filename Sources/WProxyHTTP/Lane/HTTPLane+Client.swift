#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// Reading requests from the client and deciding who serves each.
extension HTTPLane {
    // MARK: Client

    func readClient(_ io: EngineIO) {
        let scratch = io.scratch
        let count = wproxy_recv(clientFD, scratch.baseAddress, UInt(scratch.count))
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return clientGone(io)
        }
        if count == 0 {
            clientEOF = true
            closeAfterResponse = true
            if state == .idle { return close(io) }
            return updateClientEvents(io)
        }
        if inbound.readableBytes == 0 { inbound.clear() }  // from its start (no copy once the last head is gone)
        inbound.writeBytes(UnsafeRawBufferPointer(start: scratch.baseAddress, count: count))
        if state == .idle {
            process(io)
        } else {
            // Pipelined: kept for after this response (NIO keeps the same bound).
            updateClientEvents(io)
        }
    }

    /// The client reset or failed: end everything (the exchange is logged as NIO logs it, 499).
    func clientGone(_ io: EngineIO) {
        if state != .idle {
            if responseStatus == 0 { responseStatus = 499 }
            log()
        }
        abort(io)
    }

    func updateClientEvents(_ io: EngineIO) {
        var wanted: UInt32 = 0
        if !clientEOF && inbound.readableBytes < HTTP1ProxyHandler.maxPipelinedBytes && clientOut == nil { wanted |= WPROXY_EPOLLIN }
        if clientOut != nil { wanted |= WPROXY_EPOLLOUT }
        guard wanted != clientEvents else { return }
        clientEvents = wanted
        io.modify(clientFD, events: wanted)
    }

    /// The next request in `inbound`, if whole: served here, or the connection goes back to NIO.
    func process(_ io: EngineIO) {
        guard inbound.readableBytes > 0, clientOut == nil, !closeWhenFlushed else { return updateClientEvents(io) }
        var buffer = inbound
        let head: RawRequestHead
        do {
            guard let length = try buffer.rawRequestHeadLength(maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize) else {
                if !headStarted {
                    headStarted = true
                    deadline = io.now &+ settings.headerTimeoutMS
                }
                return updateClientEvents(io)
            }
            head = try buffer.readRawRequestHead(
                length: length, maxHead: settings.maxHeaderSize, maxURI: settings.maxURISize, reusing: &pool.requestFields)
        } catch {
            return toNIO(io)  // NIO answers the error (and logs it)
        }
        guard let facts = try? head.facts(), phases.laneProxies(head),
            case .peer(let chosen) = phases.upstreamPeer(head, clientAddress: clientAddress, tried: TriedUpstreams())
        else {
            return toNIO(io)  // NIO answers (an error, a static file, 404, 503)
        }
        let pooled = facts.isUpgrade || !chosen.isPlain ? nil : pool.take(chosen.id)
        guard head.versionMinor == 1, case .none = facts.framing, !facts.isUpgrade,
            facts.expect == nil, head.method != .CONNECT, chosen.isPlain
        else {
            // NIO serves it, with the upstream chosen here (and its pooled socket): one pick per
            // request, and the pool's socket is not left idle while NIO connects another.
            return toNIO(io, handover: .chosen(chosen, pooled ?? -1))
        }
        var connecting = false
        let fd: Int32
        if let pooled {
            fd = pooled
            upstreamFresh = false
        } else {
            upstreamFresh = true
            switch Self.dial(chosen, settings: settings) {
            case .started(let started):
                fd = started
                connecting = true
            case .failed(let error):
                phases.upstreamResult(chosen, success: false)
                return toNIO(io, handover: .dialFailed(chosen, error))
            case .notHere:
                return toNIO(io, handover: .chosen(chosen, -1))  // a name or an upstream proxy: NIO dials
            }
        }
        // The request is the lane's from here on.
        if phases.logsRequests { startedAt = .now() }
        inbound = buffer
        if !facts.keepAlive { closeAfterResponse = true }  // `Connection: close`: answered, then closed
        request = head
        hasRequest = true
        requestMethod = head.method
        host = facts.host
        peer = chosen
        upstreamFD = fd
        upstreamReusable = true
        upstreamPartial = nil
        responseStatus = 0
        bytesOut = 0
        upstreamDuration = nil
        if connecting {
            state = .connecting
            guard io.watch(fd, events: WPROXY_EPOLLOUT, by: self) else { return connectFailed(errno, io) }
            deadline = io.now &+ settings.connectTimeoutMS
            return updateClientEvents(io)
        }
        io.assign(fd, to: self)
        sendRequest(io)
    }

    enum Dial {
        case started(Int32)
        case failed(DialError.Kind)
        /// Not an IP address, or through an upstream proxy: NIO's dialer does it.
        case notHere
    }

    /// Starts a connect to `peer` the engine can finish (an IP address, no upstream proxy).
    static func dial(_ peer: UpstreamPeer, settings: LaneSettings) -> Dial {
        guard settings.connectsDirectly, let address = try? SocketAddress(ipAddress: peer.host, port: peer.port),
            let start = EngineConnect.start(to: address)
        else { return .notHere }
        switch start {
        case .started(let fd, _): return .started(fd)
        case .failed(let error): return .failed(DialError(target: peer.name, errno: error).kind)
        }
    }

    /// The connect finished (writable) or failed.
    func connectReady(_ io: EngineIO) {
        let error = wproxy_socket_error(upstreamFD)
        guard error == 0 else { return connectFailed(error, io) }
        if let peer { phases.upstreamResult(peer, success: true) }
        io.modify(upstreamFD, events: WPROXY_EPOLLIN)
        sendRequest(io)
    }

    /// The connect failed (`ETIMEDOUT` at the deadline): passive health counts it, and NIO carries
    /// on with the request as after its own failed attempt (retries, or 502/504).
    func connectFailed(_ error: Int32, _ io: EngineIO) {
        io.close(upstreamFD)
        upstreamFD = -1
        guard let peer else { return toNIO(io) }
        phases.upstreamResult(peer, success: false)
        toNIO(io, handover: .dialFailed(peer, DialError(target: peer.name, errno: error).kind))
    }

    /// Writes the request head to the upstream socket (pooled and idle, or just connected: it
    /// takes a head at once) and waits for the response.
    func sendRequest(_ io: EngineIO) {
        guard let chosen = peer else { return }
        let fd = upstreamFD
        pool.requestOut.clear()
        let forwarded = ForwardedInfo(clientIP: clientIP, proto: settings.scheme, host: host)
        let hostOverride = settings.sendUpstreamHost ? chosen.hostHeader : nil
        if let policy = chosen.policy, policy.rewritesRequest {
            HeadWriters.writeUpstreamRequest(
                policy.upstreamHead(request), into: &pool.requestOut, forwarded: forwarded, hostOverride: hostOverride,
                defaultHost: chosen.hostHeader, keepUpgrade: false, framing: .none, dropExpect: false)
        } else {
            HeadWriters.writeUpstreamRequest(
                request, into: &pool.requestOut, forwarded: forwarded, hostOverride: hostOverride,
                defaultHost: chosen.hostHeader, keepUpgrade: false, framing: .none, dropExpect: false)
        }
        let sent = pool.requestOut.withUnsafeReadableBytes { wproxy_send(fd, $0.baseAddress, UInt($0.count)) }
        guard sent == pool.requestOut.readableBytes else {
            // A stale pooled socket: NIO sends the request again on a fresh connection.
            io.close(fd)
            upstreamFD = -1
            return toNIO(io)
        }
        phases.requestAssigned(chosen, active: true)
        assigned = true
        state = .awaitingResponse
        let timeout = chosen.policy?.upstreamTimeout ?? settings.upstreamTimeout
        deadline = io.now &+ ChannelDescriptor.milliseconds(timeout)
        if phases.logsRequests { upstreamStartedAt = .now() }
        updateClientEvents(io)
    }
}
