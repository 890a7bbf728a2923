/// What a hashing policy may hash on, extracted by the caller from the connection or request.
///
/// Policies that do not hash ignore the key. A hashing policy given ``none`` (for example because
/// the configured header is missing) falls back to smooth weighted round-robin.
package enum SelectionKey: Sendable, Hashable {
    /// Nothing to hash on.
    case none
    /// The raw client address: 4 bytes for IPv4, 16 for IPv6. Used by `ip-hash`.
    case clientAddress([UInt8])
    /// A header, cookie or query value, or the path. Used by `hash`. A missing key is ``none``.
    case key(String)
}
