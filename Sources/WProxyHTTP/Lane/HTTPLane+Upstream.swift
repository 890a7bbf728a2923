#if canImport(Glibc)
import CWProxyLinux
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// Connecting, sending the request and passing the response on.
extension HTTPLane {
    // MARK: Upstream

    func readUpstream(_ io: EngineIO) {
        guard state == .awaitingResponse || state == .streaming else { return }
        let scratch = io.scratch
        let count = wproxy_recv(upstreamFD, scratch.baseAddress, UInt(scratch.count))
        if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
        if count <= 0 { return upstreamEnded(io) }
        let bytes = UnsafeRawBufferPointer(start: scratch.baseAddress, count: count)
        if state == .awaitingResponse {
            if upstreamPartial != nil {
                upstreamPartial!.writeBytes(bytes)
                readResponseHead(upstreamPartial!, io)
            } else {
                pool.responseIn.clear()
                pool.responseIn.writeBytes(bytes)
                readResponseHead(pool.responseIn, io)
            }
        } else {
            relayBody(bytes, io)
        }
    }

    /// `received`: the response bytes so far (the thread's buffer, or the lane's partial head).
    func readResponseHead(_ received: ByteBuffer, _ io: EngineIO) {
        var buffer = received
        let head: RawResponseHead
        do {
            while true {
                guard let length = try buffer.rawResponseHeadLength(limit: UpstreamConnection.maxHeadSize) else {
                    // Kept in storage of the lane's own (the thread's buffer serves other lanes).
                    var partial = ByteBufferAllocator().buffer(capacity: buffer.readableBytes + 1024)
                    partial.writeImmutableBuffer(buffer)
                    upstreamPartial = partial
                    return
                }
                let next = try buffer.readRawResponseHead(length: length, reusing: &pool.responseFields)
                if next.status >= 100 && next.status < 200 && next.status != 101 { continue }  // 100, 103: the final head follows
                head = next
                break
            }
        } catch {
            return respondLocally(.badGateway, "bad gateway: \(error.reason)", io)
        }
        upstreamPartial = nil
        defer { pool.responseFields = head.fields }
        guard head.status != 101 else {
            return respondLocally(.badGateway, "bad gateway: upstream switched protocols without being asked", io)
        }
        let keepAlive: Bool
        do {
            (framing, keepAlive) = try head.framing(requestMethod: requestMethod)
        } catch {
            return respondLocally(.badGateway, "bad gateway: \(error.reason)", io)
        }
        if !keepAlive { upstreamReusable = false }
        if phases.logsRequests { upstreamDuration = .now() - upstreamStartedAt }
        let clientFraming: HeadWriters.ClientFraming
        switch framing {
        case .none: clientFraming = .none
        case .contentLength: clientFraming = .contentLength
        case .chunked: clientFraming = .chunked
        case .untilClose:
            clientFraming = .close
            closeAfterResponse = true
        }
        responseStatus = head.status
        if case .contentLength(let length) = framing { remaining = length }
        state = .streaming
        deadline = io.now &+ settings.idleTimeoutMS
        pool.responseOut.clear()
        if let policy = peer?.policy, policy.rewritesResponse {
            HeadWriters.writeClientResponse(
                policy.clientHead(head), into: &pool.responseOut, framing: clientFraming, keepAlive: !closeAfterResponse,
                clientIsHTTP10: false)
        } else {
            HeadWriters.writeClientResponse(
                head, into: &pool.responseOut, framing: clientFraming, keepAlive: !closeAfterResponse, clientIsHTTP10: false)
        }
        // Body bytes that came with the head go out with it, in one send.
        var done = false
        var failed = false
        buffer.withUnsafeReadableBytes { body in
            (done, failed) = takeBody(body, into: &pool.responseOut)
        }
        if !sendClient(&pool.responseOut, io) { return }
        if failed { return abort(io) }
        if done { finishExchange(io) }
    }

    /// Response body bytes as read (after the head): what belongs to the response is appended to
    /// `out`; bytes past its end make the socket unusable. Returns (response complete, malformed).
    func takeBody(_ body: UnsafeRawBufferPointer, into out: inout ByteBuffer) -> (Bool, Bool) {
        switch framing {
        case .none:
            if body.count > 0 { upstreamReusable = false }
            return (true, false)
        case .contentLength(let length):
            _ = length  // (`remaining` counts down from it)
            let take = min(remaining, body.count)
            if take > 0 { out.writeBytes(UnsafeRawBufferPointer(rebasing: body[0..<take])) }
            remaining -= take
            bytesOut += take
            if take < body.count { upstreamReusable = false }
            return (remaining == 0, false)
        case .chunked:
            let consumed: Int
            do {
                consumed = try chunks.consume(body) { _ in }
            } catch {
                return (false, true)
            }
            if consumed > 0 { out.writeBytes(UnsafeRawBufferPointer(rebasing: body[0..<consumed])) }
            bytesOut += consumed
            guard chunks.isDone else { return (false, false) }
            if consumed < body.count { upstreamReusable = false }
            return (true, false)
        case .untilClose:
            upstreamReusable = false
            if body.count > 0 { out.writeBytes(body) }
            bytesOut += body.count
            return (false, false)
        }
    }

    func relayBody(_ bytes: UnsafeRawBufferPointer, _ io: EngineIO) {
        deadline = io.now &+ settings.idleTimeoutMS
        pool.responseOut.clear()
        let (done, failed) = takeBody(bytes, into: &pool.responseOut)
        if !sendClient(&pool.responseOut, io) { return }
        if failed { return abort(io) }
        if done { finishExchange(io) }
    }

    /// The upstream closed (or failed) its socket.
    func upstreamEnded(_ io: EngineIO) {
        io.close(upstreamFD)
        upstreamFD = -1
        unassign()
        switch state {
        case .awaitingResponse:
            // Nothing reached the client. A pooled socket was stale: NIO sends the request again on
            // a fresh connection. A fresh one was reset: the upstream's fault (passive health), and
            // NIO goes on as after a reset of its own (a retry elsewhere, or 502).
            guard upstreamFresh, let peer else { return toNIO(io) }
            phases.upstreamResult(peer, success: false)
            return toNIO(io, handover: .failed(peer, .badGateway, "upstream \(peer.name) closed the connection before responding"))
        case .streaming:
            // A close-delimited body ends here; any other was cut short, and with the head out the
            // client can only learn of it by the close.
            log()
            endExchange()
            closeWhenSent(io)
        case .idle, .connecting, .closed:
            break
        }
    }
}
