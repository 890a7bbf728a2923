import NIOCore
import NIOHTTP1
import WProxyCore

extension HTTP1ProxyHandler {
    /// The upstream answered 101: pass the head on, take the HTTP handlers out of both pipelines
    /// (keeping every byte either side had already read) and join the two sockets.
    func upgrade(_ head: RawResponseHead) {
        guard let connection = upstream, context.channel.isActive else {
            upstream?.close()
            upstream = nil
            phase = .closed
            context.close(promise: nil)
            return
        }
        upstream = nil
        connection.delegate = nil
        responseStatus = 101
        upstreamDuration = .now() - upstreamStartedAt
        var out = allocator.buffer(capacity: head.bytes.readableBytes + 32)
        HeadWriters.writeClientResponse(peer?.policy?.clientHead(head) ?? head, into: &out, framing: .none, keepAlive: true, clientIsHTTP10: false, keepUpgrade: true)
        endDirectClientWrites()
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        phase = .upgraded
        timer?.cancel()
        timer = nil

        let client = context.channel
        let upstreamChannel = connection.channel
        let toUpstream = inbound.map { [$0] } ?? []
        inbound = nil
        let toClient = connection.leftover.map { [$0] } ?? []
        upstreamChannel.pipeline.syncOperations.removeHandler(connection, promise: nil)
        join(client: client, upstream: upstreamChannel, toClient: toClient, toUpstream: toUpstream)
    }

    private func join(client: any Channel, upstream upstreamChannel: any Channel, toClient: [ByteBuffer], toUpstream: [ByteBuffer]) {
        for buffer in toClient {
            bytesOut += buffer.readableBytes
            client.write(buffer, promise: nil)
        }
        client.flush()
        let phases = self.phases
        let assignedPeer = assigned ? peer : nil
        assigned = false
        var record: ProxyAccessRecord?
        if phases.logsRequests {
            record = ProxyAccessRecord(
                client: clientIP ?? "-", method: request.method.rawValue, host: clientHost ?? "-",
                path: request.uri, status: 101, upstream: peer?.name ?? "-", bytesIn: 0, bytesOut: 0,
                duration: .zero, upstreamDuration: upstreamDuration)
        }
        let startedAt = self.startedAt
        let context = self.context!
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        do {
            try Relay.join(
                client: client, upstream: upstreamChannel, initialUpstreamData: toUpstream,
                idleTimeout: settings.tunnelIdleTimeout
            ) { result in
                if let assignedPeer { phases.requestAssigned(assignedPeer, active: false) }
                if var record {
                    record.bytesIn = result.bytesUp
                    record.bytesOut = result.bytesDown
                    record.duration = .now() - startedAt
                    phases.logging(record)
                }
            }
        } catch {
            client.close(promise: nil)
            upstreamChannel.close(promise: nil)
        }
    }
}
