import NIOCore

/// What a listener lends the handlers of a plain-TCP connection so that it can leave NIO: the
/// tracker, which keeps counting the connection (for `--max-connections` and drain) after its
/// channel is closed, for `Relay.join` to move a tunnel to the `TunnelEngine`; and the parking of
/// idle keep-alive HTTP connections.
package struct TunnelHandoff: Sendable {
    package let tracker: ConnectionTracker
    package let parking: ConnectionParking?

    package init(tracker: ConnectionTracker, parking: ConnectionParking? = nil) {
        self.tracker = tracker
        self.parking = parking
    }
}

/// Joins a client channel and an upstream channel into a tunnel.
package enum Relay {
    /// Relays the two channels until both sides close.
    ///
    /// Must be called on the event loop both channels share. `initialUpstreamData` (bytes already read
    /// from the client, such as a peeked ClientHello, or a PROXY protocol header) is written upstream first.
    /// `clientSentEOF`: the client's EOF was read before the join (it is passed on upstream).
    /// `onFinish` runs once on that event loop when both sides have closed.
    ///
    /// With `handoff` (only for plain TCP sockets on both sides, no TLS or other handler left in
    /// either pipeline) the tunnel moves to the `TunnelEngine`; otherwise, or when the engine is off,
    /// a pair of `GlueHandler`s relays it inside NIO.
    package static func join(
        client: any Channel,
        upstream: any Channel,
        initialUpstreamData: [ByteBuffer] = [],
        clientSentEOF: Bool = false,
        idleTimeout: TimeAmount?,
        handoff: TunnelHandoff? = nil,
        onFinish: @escaping (RelayResult) -> Void
    ) throws {
        let eventLoop = client.eventLoop
        eventLoop.preconditionInEventLoop()
        precondition(upstream.eventLoop === eventLoop, "relay channels must share one event loop")
        if let handoff, let engine = TunnelEngine.shared,
           handOff(client: client, upstream: upstream, initialUpstreamData: initialUpstreamData,
                   clientSentEOF: clientSentEOF, idleTimeout: idleTimeout, tracker: handoff.tracker,
                   engine: engine, onFinish: onFinish)
        {
            return
        }
        try glue(client: client, upstream: upstream, initialUpstreamData: initialUpstreamData,
                 clientSentEOF: clientSentEOF, idleTimeout: idleTimeout, onFinish: onFinish)
    }

    private static func glue(
        client: any Channel, upstream: any Channel, initialUpstreamData: [ByteBuffer], clientSentEOF: Bool,
        idleTimeout: TimeAmount?, onFinish: @escaping (RelayResult) -> Void
    ) throws {
        let eventLoop = client.eventLoop
        let session = RelaySession(idleTimeout: idleTimeout, now: eventLoop.now, onFinish: onFinish)
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair(session: session)
        try client.pipeline.syncOperations.addHandler(clientGlue)
        try upstream.pipeline.syncOperations.addHandler(upstreamGlue)
        for buffer in initialUpstreamData {
            session.bytesUp &+= buffer.readableBytes
            upstream.write(buffer, promise: nil)
        }
        upstream.flush()
        session.armIdleTimer(on: eventLoop, closing: [client, upstream])
        // A channel that closed before joining will never tell its glue handler: count it here.
        for (channel, other) in [(client, upstream), (upstream, client)] where !channel.isActive {
            session.sideClosed()
            other.close(promise: nil)
        }
        try client.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        try upstream.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        if clientSentEOF {
            // The EOF was read before the relay existed; the relay would never see it.
            upstream.writeAndFlush(upstream.allocator.buffer(capacity: 0)).assumeIsolated().whenComplete { _ in
                upstream.close(mode: .output, promise: nil)
            }
        }
    }

    /// Moves the tunnel to the engine: duplicates both sockets, moves the tracker's entry, closes
    /// the NIO channels and starts the engine tunnel. False (nothing changed) when it cannot.
    private static func handOff(
        client: any Channel, upstream: any Channel, initialUpstreamData: [ByteBuffer], clientSentEOF: Bool,
        idleTimeout: TimeAmount?, tracker: ConnectionTracker, engine: TunnelEngine,
        onFinish: @escaping (RelayResult) -> Void
    ) -> Bool {
        guard client.isActive, upstream.isActive else { return false }
        // Closing the client channel would drop writes NIO still queues (a SOCKS or CONNECT reply
        // the kernel did not take yet). An empty write completes only after them: when it has not
        // completed by now, keep the NIO relay.
        var clientWritesDone = false
        client.writeAndFlush(client.allocator.buffer(capacity: 0)).assumeIsolated().whenComplete { _ in
            clientWritesDone = true
        }
        guard clientWritesDone else { return false }
        guard let clientFD = ChannelDescriptor.duplicate(client) else { return false }
        guard let upstreamFD = ChannelDescriptor.duplicate(upstream) else {
            closeDescriptor(clientFD)
            return false
        }
        var toUpstream: [UInt8] = []
        for buffer in initialUpstreamData { toUpstream.append(contentsOf: buffer.readableBytesView) }
        let idleMS = idleTimeout.map { UInt64(max($0.nanoseconds / 1_000_000, 1)) } ?? 0
        let tunnel = EngineTunnel(
            client: clientFD, upstream: upstreamFD, toUpstream: toUpstream, clientSentEOF: clientSentEOF, idleMS: idleMS)
        let loop = engine.loop(for: clientFD)
        guard let id = tracker.handOff(client, as: .tunnel(loop, tunnel)) else {
            closeDescriptor(clientFD)
            closeDescriptor(upstreamFD)
            return false
        }
        let eventLoop = client.eventLoop
        let finish = NIOLoopBound(onFinish, eventLoop: eventLoop)
        tunnel.onEnd = { result in
            eventLoop.execute {
                finish.value(result)
                tracker.tunnelEnded(id)
            }
        }
        // NIO closes its descriptors now; the sockets live on through ours.
        client.close(promise: nil)
        upstream.close(promise: nil)
        loop.submit(.start(tunnel))
        return true
    }
}
