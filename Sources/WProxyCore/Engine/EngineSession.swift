import NIOCore

/// A mode's handshake for a connection the tunnel engine accepted itself (see `EngineListening`),
/// run on that engine thread until it becomes a tunnel, ends, or moves to NIO.
///
/// Why: a short proxied connection (handshake, one request, close) spent most of its CPU on NIO
/// machinery: a channel and pipeline for the client, registration and interest changes, futures,
/// and the hop between threads when the tunnel moved to the engine. A mode whose handshake is a
/// pure state machine (SOCKS) runs it here on raw sockets instead, and hands anything it does
/// not do itself (name resolution, BIND, UDP, chains, rejections to log) to its NIO handler with
/// the state reached so far.
///
/// Confined to one engine thread.
package protocol EngineSessionHandler: AnyObject {
    /// Bytes the client sent. Called again for each later chunk while the step is `.wait`.
    func received(_ bytes: UnsafeRawBufferPointer) -> EngineSessionStep

    /// The handshake ended without a step of the session's: the client left or the handshake
    /// timeout passed. The connection is closed right after.
    func ended(_ why: EngineSessionEnd)
}

/// Why the engine ended a session by itself.
package enum EngineSessionEnd {
    case clientClosed
    case clientError
    case timedOut
}

/// What the engine does next with a session's connection.
package enum EngineSessionStep {
    /// Write `reply` (maybe empty) and wait for more bytes.
    case wait(reply: [UInt8])
    /// Write `reply` (maybe empty) and close.
    case close(reply: [UInt8])
    /// Write `reply` (maybe empty), then give the connection a NIO channel; `resume` installs the
    /// mode's handlers on it (on its event loop) and carries on from where the session stopped.
    case moveToNIO(reply: [UInt8], resume: @Sendable (any Channel, TunnelHandoff) throws -> Void)
    /// The upstream connect is under way: the connection becomes an engine tunnel.
    case tunnel(EngineTunnelStart)
}

/// A tunnel a session starts: its upstream connect is under way (`EngineConnect`); the engine
/// finishes it, writes the reply that fits the outcome and relays.
package struct EngineTunnelStart {
    package let upstreamFD: Int32
    package let connectTimeout: TimeAmount
    /// Written to the client once connected.
    package let successReply: [UInt8]
    /// Written to the client when the connect failed with this errno (`ETIMEDOUT` at the deadline).
    package let failureReply: @Sendable (Int32) -> [UInt8]
    /// Bytes the client sent after its request, written upstream first.
    package let upstreamFirst: [UInt8]
    package let idleTimeout: TimeAmount?
    /// Runs once on the engine thread when the tunnel has ended.
    package let onFinish: @Sendable (RelayResult) -> Void

    package init(
        upstreamFD: Int32, connectTimeout: TimeAmount, successReply: [UInt8],
        failureReply: @escaping @Sendable (Int32) -> [UInt8], upstreamFirst: [UInt8], idleTimeout: TimeAmount?,
        onFinish: @escaping @Sendable (RelayResult) -> Void
    ) {
        self.upstreamFD = upstreamFD
        self.connectTimeout = connectTimeout
        self.successReply = successReply
        self.failureReply = failureReply
        self.upstreamFirst = upstreamFirst
        self.idleTimeout = idleTimeout
        self.onFinish = onFinish
    }
}

/// A mode whose connections the engine can accept and handshake itself.
package protocol EngineSessionFactory: Sendable {
    /// The handshake of a new client (its address as accepted).
    func makeSession(client: SocketAddress?) -> any EngineSessionHandler
    /// A client that has not finished its handshake by then is closed.
    var handshakeTimeout: TimeAmount { get }
}

/// One connection in its handshake on an engine thread.
final class EngineSession {
    let fd: Int32
    let id: Int
    let handler: any EngineSessionHandler
    let deadline: UInt64
    let owner: EngineListening
    /// In the engine's epoll set (for reading).
    var registered = false
    /// No longer a session: closed, moved to NIO or turned into a tunnel.
    var ended = false

    init(fd: Int32, id: Int, handler: any EngineSessionHandler, deadline: UInt64, owner: EngineListening) {
        self.fd = fd
        self.id = id
        self.handler = handler
        self.deadline = deadline
        self.owner = owner
    }
}

/// A listening socket an engine thread accepts on (a duplicate of the listener's NIO server socket).
final class EngineListenSocket: @unchecked Sendable {
    let fd: Int32
    let owner: EngineListening
    /// Nonzero while out of the epoll set after an accept error (engine milliseconds).
    var pausedUntil: UInt64 = 0

    init(fd: Int32, owner: EngineListening) {
        self.fd = fd
        self.owner = owner
    }
}
