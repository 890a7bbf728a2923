/// The protocol version a SOCKS connection speaks. SOCKS4a is `.v4` with a domain target.
package enum SOCKSVersion: UInt8, Hashable, Sendable {
    case v4 = 4
    case v5 = 5
}
