import NIOCore

/// What a mode does with each accepted client connection.
package protocol ConnectionAcceptor: Sendable {
    /// Runs on the connection's event loop, after the connection was admitted under
    /// `--max-connections`. Installs the mode's handlers. The channel has `autoRead` off and
    /// `allowRemoteHalfClosure` on: the mode decides when to start reading.
    func initializeConnection(_ channel: any Channel) throws
}
