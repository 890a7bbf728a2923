#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// Ending exchanges, writing to the client, and leaving the lane.
extension HTTPLane {
    // MARK: Ending exchanges

    func finishExchange(_ io: EngineIO) {
        unassign()
        if let peer {
            if upstreamReusable {
                pool.give(upstreamFD, peerID: peer.id, watched: true, io)
            } else {
                io.close(upstreamFD)
            }
        }
        upstreamFD = -1
        log()
        endExchange()
        afterResponse(io)
    }

    /// Back to idle: the request's bytes are released (their field array is kept for the next).
    func endExchange() {
        state = .idle
        headStarted = false
        if hasRequest {
            pool.requestFields = request.fields
            request = .none
            hasRequest = false
        }
        upstreamPartial = nil
        peer = nil
        framing = .none
        remaining = 0
        chunks = ChunkedTracker()
    }

    /// A short plain-text error (502, 504) for the current request, before any response byte went
    /// out; the connection stays open, as in NIO.
    func respondLocally(_ status: HTTPResponseStatus, _ message: String, _ io: EngineIO) {
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        unassign()
        let response = ErrorResponse(status, message, close: closeAfterResponse)
        responseStatus = Int(status.code)
        bytesOut = response.body.readableBytes
        pool.responseOut.clear()
        HeadWriters.writeLocalResponse(response.head, into: &pool.responseOut)
        if requestMethod != .HEAD {
            var body = response.body
            pool.responseOut.writeBuffer(&body)
        }
        log()
        endExchange()
        if !sendClient(&pool.responseOut, io) { return }
        afterResponse(io)
    }

    /// After a response: close once it is out (`Connection: close`, a drain, the client's EOF), or
    /// serve (or wait for) the next request.
    func afterResponse(_ io: EngineIO) {
        if closeAfterResponse { return closeWhenSent(io) }
        deadline = io.now &+ settings.idleTimeoutMS
        process(io)
    }

    /// Closes the connection once `clientOut` has gone (at once when nothing waits).
    func closeWhenSent(_ io: EngineIO) {
        closeWhenFlushed = true
        if clientOut == nil { close(io) }
    }

    /// Ends the current request's least-conn count, once.
    func unassign() {
        guard assigned else { return }
        assigned = false
        if let peer { phases.requestAssigned(peer, active: false) }
    }

    func log() {
        guard phases.logsRequests, hasRequest else { return }
        phases.logging(ProxyAccessRecord(
            client: clientIP ?? "-", method: request.method.rawValue, host: host ?? "-", path: request.uri,
            status: responseStatus, upstream: peer?.name ?? "-", bytesIn: 0, bytesOut: bytesOut,
            duration: .now() - startedAt, upstreamDuration: upstreamDuration))
    }

    // MARK: Writing to the client

    /// Sends `bytes` (after anything still queued). What the socket does not take waits in
    /// `clientOut`, and the upstream is not read until it has gone. False when the client is gone
    /// (the lane has ended).
    func sendClient(_ bytes: inout ByteBuffer, _ io: EngineIO) -> Bool {
        guard bytes.readableBytes > 0 else { return true }
        if clientOut != nil {
            clientOut!.writeBuffer(&bytes)
            return true
        }
        let sent = bytes.withUnsafeReadableBytes { wproxy_send(clientFD, $0.baseAddress, UInt($0.count)) }
        if sent == bytes.readableBytes { return true }
        if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
            clientGone(io)
            return false
        }
        bytes.moveReaderIndex(forwardBy: max(sent, 0))
        clientOut = bytes
        bytes = Self.empty  // the queued bytes are `clientOut`'s now
        if upstreamFD >= 0 && !upstreamPaused {
            upstreamPaused = true
            io.modify(upstreamFD, events: 0)
        }
        updateClientEvents(io)
        return true
    }

    func flushClient(_ io: EngineIO) {
        guard var out = clientOut else { return }
        let sent = out.withUnsafeReadableBytes { wproxy_send(clientFD, $0.baseAddress, UInt($0.count)) }
        if sent < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return clientGone(io)
        }
        out.moveReaderIndex(forwardBy: sent)
        if sent > 0, state == .streaming { deadline = io.now &+ settings.idleTimeoutMS }
        if out.readableBytes > 0 {
            clientOut = out
            return
        }
        clientOut = nil
        if closeWhenFlushed { return close(io) }
        if upstreamPaused, upstreamFD >= 0 {
            upstreamPaused = false
            io.modify(upstreamFD, events: WPROXY_EPOLLIN)
        }
        updateClientEvents(io)
        if state == .idle { process(io) }
    }

    // MARK: Leaving

    /// Gives the connection back to NIO with the bytes not answered yet (the current request's,
    /// then what followed it). `handover`: the upstream chosen for that request, with a pooled
    /// socket to it (or -1), or the lane's failed attempt at it; NIO takes it instead of picking.
    func toNIO(_ io: EngineIO, handover: LaneHandover.Start? = nil) {
        var replay = ByteBufferAllocator().buffer(capacity: 0)
        if hasRequest { replay.writeImmutableBuffer(request.bytes) }
        replay.writeImmutableBuffer(inbound)
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        endExchange()
        state = .closed
        io.forget(clientFD)
        if case .chosen(_, let fd)? = handover, fd >= 0 { io.forget(fd) }  // NIO's epoll takes it over
        let bounces = self.bounces + 1
        let prepare: @Sendable (any Channel) throws -> Void = { channel in
            guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP1ProxyHandler.self) else {
                if case .chosen(_, let fd)? = handover, fd >= 0 { Glibc.close(fd) }
                return
            }
            handler.laneBounces = bounces
            switch handover {
            case .chosen(let peer, let fd)?:
                let connection = fd < 0 ? nil : ConnectionParking.adoptUpstream(fd: fd, on: channel.eventLoop)
                    .flatMapThrowing { try UpstreamConnection.install(on: $0, peerID: peer.id, directWrites: true) }
                handler.handover = .chosen(peer, connection)
            case .failed(let peer, let status, let message)?:
                handler.handover = .failed(peer, status, message)
            case nil:
                break
            }
        }
        parking.reopen(fd: clientFD, id: id, on: eventLoop, replay: replay, prepare: prepare)
    }

    /// Closes the connection after a clean end.
    func close(_ io: EngineIO) {
        abort(io)
    }

    /// Closes both sockets (an upstream in the middle of an exchange cannot be reused).
    func abort(_ io: EngineIO) {
        guard state != .closed else { return }
        unassign()
        if upstreamFD >= 0 {
            io.close(upstreamFD)
            upstreamFD = -1
        }
        state = .closed
        clientOut = nil
        io.close(clientFD)
        parking.driverEnded(id)
    }
}
