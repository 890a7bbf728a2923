import NIOCore

/// What a mode does with each accepted client connection.
package protocol ConnectionAcceptor: Sendable {
    /// Runs on the connection's event loop, after the connection was admitted under
    /// `--max-connections`. Installs the mode's handlers. The channel has `autoRead` off and
    /// `allowRemoteHalfClosure` on: the mode decides when to start reading.
    func initializeConnection(_ channel: any Channel) throws

    /// The same for a plain-TCP connection, with what its handlers need to move it to the
    /// `TunnelEngine` (a tunnel through `Relay.join`, an idle HTTP connection through parking).
    func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws

    /// Connections the tunnel engine can accept and handshake itself (`EngineListening`); nil
    /// (the default) when every connection starts in NIO.
    var engineSessions: (any EngineSessionFactory)? { get }

    /// Connections the tunnel engine accepts and serves itself with a mode's `EngineDriver` (the
    /// HTTP lane); nil (the default) when they start in NIO. Asked per accepted connection.
    var engineDrivers: (any EngineDriverFactory)? { get }
}

extension ConnectionAcceptor {
    package var engineSessions: (any EngineSessionFactory)? { nil }
    package var engineDrivers: (any EngineDriverFactory)? { nil }

    package func initializeConnection(_ channel: any Channel, handoff: TunnelHandoff) throws {
        try initializeConnection(channel)
    }
}
