/// What ``ClientHelloParser/peek(_:)`` learned from the bytes received so far.
package enum ClientHelloPeekResult: Hashable, Sendable {
    /// The bytes are a valid prefix of a TLS ClientHello; call again when more have arrived.
    case needMoreData
    /// A complete, well-formed ClientHello. The payload is the lowercased `host_name` from the
    /// `server_name` extension without a trailing dot, or `nil` when the client sent no SNI.
    case serverName(String?)
}
