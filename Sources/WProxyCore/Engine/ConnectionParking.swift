import NIOCore
import NIOPosix

/// Parks idle keep-alive connections of one listener in the tunnel engine and brings them back.
///
/// An HTTP connection idle between requests holds a whole NIO channel (about 3 KB). After a
/// short idle spell the HTTP engine parks it: the socket moves to the engine (a few dozen bytes),
/// the channel closes, and the listener's tracker keeps counting the connection. When the client
/// sends its next request, or hangs up, the socket gets a fresh channel with the listener's
/// current pipeline (so it also picks up a reloaded configuration). The keep-alive timeout
/// keeps running while parked.
package final class ConnectionParking: Sendable {
    private let tracker: ConnectionTracker
    private let box: AcceptorBox

    init(tracker: ConnectionTracker, box: AcceptorBox) {
        self.tracker = tracker
        self.box = box
    }

    /// On the channel's event loop, with nothing left to read or write on it. True when the
    /// connection now waits in the engine (its channel is closing); false when it cannot be parked
    /// (engine off, writes still queued, not a plain socket) and the caller keeps it as it is.
    package func park(_ channel: any Channel, timeout: TimeAmount) -> Bool {
        guard let engine = TunnelEngine.shared, channel.isActive, timeout.nanoseconds > 0 else { return false }
        guard ChannelDescriptor.writesDone(channel), let fd = ChannelDescriptor.duplicate(channel) else { return false }
        let loop = engine.loop(for: fd)
        guard let id = tracker.handOff(channel, as: .parked(loop, fd)) else {
            closeDescriptor(fd)
            return false
        }
        channel.close(promise: nil)
        loop.submit(.park(ParkRequest(
            fd: fd, id: id, timeoutMS: ChannelDescriptor.milliseconds(timeout), parking: self,
            eventLoop: channel.eventLoop)))
        return true
    }

    /// On an engine thread: the parked connection timed out or a drain closed it.
    func ended(_ request: ParkRequest) {
        tracker.tunnelEnded(request.id)
    }

    /// On an engine thread: the parked socket is readable (or hung up); give it a new channel.
    func reopen(_ request: ParkRequest) {
        let (tracker, box) = (self.tracker, self.box)
        let handoff = TunnelHandoff(tracker: tracker, parking: self)
        Self.adopt(fd: request.fd, id: request.id, on: request.eventLoop, tracker: tracker) { channel in
            try box.current.initializeConnection(channel, handoff: handoff)
        }
    }

    /// Gives a socket the engine held (parked, or accepted by `EngineListening`) a NIO channel on
    /// `eventLoop`, configured as the listener configures accepted channels. The tracker entry `id`
    /// moves to the channel and `initialize` installs the handlers; when a drain ended the entry
    /// meanwhile, the channel is closed instead.
    static func adopt(
        fd: Int32, id: Int, on eventLoop: any EventLoop, tracker: ConnectionTracker,
        initialize: @escaping @Sendable (any Channel) throws -> Void
    ) {
        let adopted = ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard tracker.resume(id, as: channel) else {
                        channel.close(promise: nil)  // a drain ended it meanwhile
                        return
                    }
                    try initialize(channel)
                }
            }
            .withConnectedSocket(fd)
        adopted.whenFailure { _ in tracker.tunnelEnded(id) }
    }
}
