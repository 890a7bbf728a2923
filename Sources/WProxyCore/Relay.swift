import NIOCore

/// Joins a client channel and an upstream channel into a tunnel.
package enum Relay {
    /// Installs the glue pair and starts reading on both sides.
    ///
    /// Must be called on the event loop both channels share. `initialUpstreamData` (bytes already read
    /// from the client, such as a peeked ClientHello, or a PROXY protocol header) is written upstream first.
    /// `onFinish` runs once on that event loop when both channels have closed.
    package static func join(
        client: any Channel,
        upstream: any Channel,
        initialUpstreamData: [ByteBuffer] = [],
        idleTimeout: TimeAmount?,
        onFinish: @escaping (RelayResult) -> Void
    ) throws {
        let eventLoop = client.eventLoop
        eventLoop.preconditionInEventLoop()
        precondition(upstream.eventLoop === eventLoop, "relay channels must share one event loop")
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
    }
}
