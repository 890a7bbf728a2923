import NIOCore

/// What a mode does with each accepted client connection.
package protocol ConnectionAcceptor: Sendable {
    /// Runs on the connection's event loop, after the connection was admitted under
    /// `--max-connections`. Installs the mode's handlers. The channel has `autoRead` off and
    /// `allowRemoteHalfClosure` on: the mode decides when to start reading.
    func initializeConnection(_ channel: any Channel) throws

    /// The same, with the listener's tracker, for modes whose tunnels can move to the
    /// `TunnelEngine` (they pass it on to `Relay.join` as a `TunnelHandoff`).
    func initializeConnection(_ channel: any Channel, tracker: ConnectionTracker) throws
}

extension ConnectionAcceptor {
    package func initializeConnection(_ channel: any Channel, tracker: ConnectionTracker) throws {
        try initializeConnection(channel)
    }
}
