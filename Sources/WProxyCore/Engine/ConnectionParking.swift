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

    /// Hands a plain-socket client connection, idle between requests, to a mode's engine driver
    /// (the HTTP lane), with the upstream socket the driver may keep (`upstream`, when its channel
    /// has nothing queued). On the channel's event loop. False, with nothing changed, when the
    /// engine is off or the sockets cannot be taken over; on true the client channel is closing,
    /// and the caller closes `upstream`'s channel (its socket lives on in the engine).
    package func drive(
        _ channel: any Channel, upstream: (any Channel)?, makeDriver: (DriveHandoff) -> any EngineDriver
    ) -> Bool {
        guard let engine = TunnelEngine.shared, channel.isActive else { return false }
        guard ChannelDescriptor.writesDone(channel), let fd = ChannelDescriptor.duplicate(channel) else { return false }
        var upstreamFD: Int32 = -1
        if let upstream, upstream.isActive, ChannelDescriptor.writesDone(upstream),
           let duplicate = ChannelDescriptor.duplicate(upstream)
        {
            upstreamFD = duplicate
        }
        let loop = engine.loop(for: fd)
        guard let id = tracker.handOff(channel, as: .driven(loop, fd)) else {
            closeDescriptor(fd)
            if upstreamFD >= 0 { closeDescriptor(upstreamFD) }
            return false
        }
        channel.close(promise: nil)
        let driver = makeDriver(DriveHandoff(
            clientFD: fd, upstreamFD: upstreamFD, id: id, eventLoop: channel.eventLoop, parking: self))
        loop.submit(.drive(DriverStart(driver: driver)))
        return true
    }

    /// On an engine thread: a driven connection goes back to NIO with the listener's current
    /// handlers, which first read `replay` (bytes the driver read but left to NIO). The driver has
    /// taken the socket out of its epoll set.
    /// `prepare` runs after the handlers are installed (on the event loop), before the replay.
    package func reopen(
        fd: Int32, id: Int, on eventLoop: any EventLoop, replay: ByteBuffer?,
        prepare: (@Sendable (any Channel) throws -> Void)? = nil
    ) {
        let (tracker, box) = (self.tracker, self.box)
        let handoff = TunnelHandoff(tracker: tracker, parking: self)
        Self.adopt(fd: fd, id: id, on: eventLoop, tracker: tracker) { channel in
            try box.current.initializeConnection(channel, handoff: handoff)
            try prepare?(channel)
            if let replay, replay.readableBytes > 0 {
                try channel.pipeline.syncOperations.addHandler(ReplayHandler(replay), position: .first)
            }
        }
    }

    /// Gives a connected upstream socket the engine held a NIO channel on `eventLoop`, configured
    /// as the dialer configures its channels (the caller installs its handler).
    package static func adoptUpstream(fd: Int32, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        adoption(on: eventLoop).withConnectedSocket(fd)
    }

    /// A bootstrap for a socket the engine held: the options of accepted and dialed channels
    /// (the engine decides when to read, half-closure is seen, small pooled read buffers).
    private static func adoption(on eventLoop: any EventLoop) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.recvAllocator, value: ReceiveBuffers.allocator)
    }

    /// On an engine thread: a driven connection closed its socket.
    package func driverEnded(_ id: Int) {
        tracker.tunnelEnded(id)
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
        let adopted = adoption(on: eventLoop)
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

/// The sockets and bookkeeping a driven connection starts with (see `ConnectionParking.drive`).
package struct DriveHandoff {
    package let clientFD: Int32
    /// -1 when the upstream socket could not be taken over.
    package let upstreamFD: Int32
    package let id: Int
    /// The client channel's event loop: where the connection goes back to NIO.
    package let eventLoop: any EventLoop
    package let parking: ConnectionParking
}

/// Delivers bytes read before the channel existed as its first read, once the channel is active
/// (so the handlers after it have started), then leaves the pipeline.
final class ReplayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var bytes: ByteBuffer?

    init(_ bytes: ByteBuffer) {
        self.bytes = bytes
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if let bytes {
            self.bytes = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
