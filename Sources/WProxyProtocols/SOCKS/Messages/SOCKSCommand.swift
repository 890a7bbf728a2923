/// The CMD / CD byte of a SOCKS4 or SOCKS5 request. Both versions share the values 1 and 2.
///
/// Unknown values parse as `.other` so a server can still answer them (SOCKS5 reply `0x07`).
/// Build values from the wire with ``init(rawValue:)``; `.other(1)` is never produced by it.
package enum SOCKSCommand: Hashable, Sendable {
    case connect
    case bind
    /// SOCKS5 only.
    case udpAssociate
    case other(UInt8)

    package init(rawValue: UInt8) {
        switch rawValue {
        case 0x01: self = .connect
        case 0x02: self = .bind
        case 0x03: self = .udpAssociate
        default: self = .other(rawValue)
        }
    }

    package var rawValue: UInt8 {
        switch self {
        case .connect: return 0x01
        case .bind: return 0x02
        case .udpAssociate: return 0x03
        case .other(let value): return value
        }
    }
}
