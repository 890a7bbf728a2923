import NIOCore

/// What turns a freshly dialed upstream channel into a secure one (TLS for `https://` upstreams).
/// Called on the channel's event loop before the HTTP handlers are added; the handshake then runs
/// while the first request is written (TLS buffers it), so failures arrive as upstream errors.
package protocol UpstreamChannelSecurity: Sendable {
    func secure(_ channel: any Channel, host: String) throws
}
