import NIOCore

/// A client channel's socket, duplicated for a move to the tunnel engine that its handler is about
/// to make (`Relay.joinConnecting`). The handler either completes the move or calls `cancel()`.
package struct ClientHandOff {
    let client: any Channel
    let fd: Int32
    let tracker: ConnectionTracker
    let loop: EngineLoop

    /// Gives up the move: the duplicate is closed, the channel stays as it was.
    package func cancel() {
        closeDescriptor(fd)
    }
}

extension Relay {
    /// Checks that `client` can move to the engine now (engine on, a plain socket, nothing queued
    /// for writing) and duplicates its socket. Nil when it cannot; the caller then relays in NIO.
    /// Checked before the caller commits to anything (such as a state machine's success reply).
    package static func prepareHandOff(_ client: any Channel, handoff: TunnelHandoff?) -> ClientHandOff? {
        guard let tracker = handoff?.tracker, let engine = TunnelEngine.shared, client.isActive,
              ChannelDescriptor.writesDone(client), let fd = ChannelDescriptor.duplicate(client)
        else { return nil }
        return ClientHandOff(client: client, fd: fd, tracker: tracker, loop: engine.loop(for: fd))
    }

    /// Moves a client and an upstream socket whose connect is still in progress
    /// (`EngineConnect.start`) to the engine, which finishes the connect, writes the client
    /// `successReply` (or `failureReply(errno)` and closes), writes `initialUpstreamData`
    /// upstream, and relays as `join` would. The channel is closed here; the tracker keeps
    /// counting the connection; `onFinish` runs once at the end, on an engine thread, with
    /// `RelayResult.connectError` set when the connect failed.
    ///
    /// False when the connection is no longer tracked (a drain closed it): both descriptors are
    /// closed and the caller closes the channel.
    package static func joinConnecting(
        _ prepared: ClientHandOff,
        upstreamFD: Int32,
        connectTimeout: TimeAmount,
        successReply: [UInt8],
        failureReply: @escaping @Sendable (Int32) -> [UInt8],
        initialUpstreamData: [UInt8],
        clientSentEOF: Bool,
        idleTimeout: TimeAmount?,
        onFinish: @escaping @Sendable (RelayResult) -> Void
    ) -> Bool {
        let client = prepared.client
        guard let id = prepared.tracker.handOff(client, as: .tunnel(prepared.loop, prepared.fd)) else {
            prepared.cancel()
            closeDescriptor(upstreamFD)
            return false
        }
        var request = TunnelRequest(
            clientFD: prepared.fd, upstreamFD: upstreamFD, id: id,
            clientSentEOF: clientSentEOF, upstreamSentEOF: false,
            bytesUp: initialUpstreamData.count, bytesDown: 0,
            idleMS: idleTimeout.map { ChannelDescriptor.milliseconds($0) } ?? 0, idleSoFarMS: 0,
            tracker: prepared.tracker, onFinish: FinishCallback(sendable: onFinish), eventLoop: client.eventLoop)
        request.connect = PendingConnect(
            timeoutMS: ChannelDescriptor.milliseconds(connectTimeout), successReply: successReply,
            failureReply: failureReply)
        request.upstreamFirst = initialUpstreamData
        // NIO closes its descriptor now; the socket lives on through ours.
        client.close(promise: nil)
        prepared.loop.submit(.start(request))
        return true
    }
}
