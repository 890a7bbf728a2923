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
    /// A pair of `GlueHandler`s relays it inside NIO. With `handoff` (only for plain TCP sockets on
    /// both sides, no TLS or other handler left in either pipeline) a tunnel that lives longer than
    /// `migrateAfter` then moves to the `TunnelEngine`.
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
        try glue(client: client, upstream: upstream, initialUpstreamData: initialUpstreamData,
                 clientSentEOF: clientSentEOF, idleTimeout: idleTimeout,
                 handoff: TunnelEngine.shared == nil ? nil : handoff, onFinish: onFinish)
    }

    /// A tunnel starts in NIO and moves to the engine once it has lived this long: short tunnels
    /// (one request and gone) never pay for the move, long ones (idle or busy) get the engine's
    /// smaller memory and cheaper relaying.
    static let migrateAfter = TimeAmount.milliseconds(200)
    /// When a move has to wait (writes still queued), the next try comes this much later.
    static let migrateRetry = TimeAmount.milliseconds(100)

    private static func glue(
        client: any Channel, upstream: any Channel, initialUpstreamData: [ByteBuffer], clientSentEOF: Bool,
        idleTimeout: TimeAmount?, handoff: TunnelHandoff?, onFinish: @escaping (RelayResult) -> Void
    ) throws {
        let eventLoop = client.eventLoop
        let session = RelaySession(idleTimeout: idleTimeout, now: eventLoop.now, onFinish: onFinish)
        session.handoff = handoff
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair(session: session)
        try client.pipeline.syncOperations.addHandler(clientGlue)
        try upstream.pipeline.syncOperations.addHandler(upstreamGlue)
        for buffer in initialUpstreamData {
            session.bytesUp &+= buffer.readableBytes
            upstream.write(buffer, promise: nil)
        }
        upstream.flush()
        session.armTimer(client: client, upstream: upstream, glue: (clientGlue, upstreamGlue))
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

    /// Moves a running tunnel from its glue pair to the engine: duplicates both sockets, moves the
    /// tracker's entry, closes the NIO channels (the glue handlers stand aside) and starts the
    /// engine tunnel with the byte counts and half-close state so far. False (nothing changed) when
    /// it cannot now: a side closed, or writes are still queued in NIO (those would be lost).
    /// Runs on the event loop, from the session's timer, so no read is in progress.
    static func migrate(
        session: RelaySession, client: any Channel, upstream: any Channel, glue: (GlueHandler, GlueHandler)
    ) -> Bool {
        guard let tracker = session.handoff?.tracker, let engine = TunnelEngine.shared,
              client.isActive, upstream.isActive,
              ChannelDescriptor.writesDone(client), ChannelDescriptor.writesDone(upstream)
        else { return false }
        guard let clientFD = ChannelDescriptor.duplicate(client) else {
            session.handoff = nil  // not a plain socket: stay in NIO for good
            return false
        }
        guard let upstreamFD = ChannelDescriptor.duplicate(upstream) else {
            closeDescriptor(clientFD)
            session.handoff = nil
            return false
        }
        let now = client.eventLoop.now
        let loop = engine.loop(for: clientFD)
        guard let id = tracker.handOff(client, as: .tunnel(loop, clientFD)) else {
            closeDescriptor(clientFD)
            closeDescriptor(upstreamFD)
            return false
        }
        session.migrated = true
        let request = TunnelRequest(
            clientFD: clientFD, upstreamFD: upstreamFD, id: id,
            clientSentEOF: glue.0.sawInputEOF, upstreamSentEOF: glue.1.sawInputEOF,
            bytesUp: session.bytesUp, bytesDown: session.bytesDown,
            idleMS: session.idleTimeout.map { ChannelDescriptor.milliseconds($0) } ?? 0,
            idleSoFarMS: ChannelDescriptor.milliseconds(now - session.lastActivity, minimum: 0),
            tracker: tracker, onFinish: FinishCallback(call: session.onFinish),
            eventLoop: client.eventLoop)
        // NIO closes its descriptors now; the sockets live on through ours.
        client.close(promise: nil)
        upstream.close(promise: nil)
        loop.submit(.start(request))
        return true
    }
}
