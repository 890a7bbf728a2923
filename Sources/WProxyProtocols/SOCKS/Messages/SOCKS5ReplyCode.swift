/// The REP field of a SOCKS5 reply (RFC 1928 §6).
///
/// Values a remote server may send outside 0x00...0x08 parse as `.unassigned` so a client can
/// report them instead of failing to parse. Build values from the wire with ``init(rawValue:)``.
package enum SOCKS5ReplyCode: Hashable, Sendable {
    case succeeded
    case generalFailure
    /// Refused by an ACL (`--allow`, `--deny-dest`).
    case notAllowedByRuleset
    case networkUnreachable
    /// Also used for DNS failures.
    case hostUnreachable
    case connectionRefused
    case ttlExpired
    case commandNotSupported
    case addressTypeNotSupported
    case unassigned(UInt8)

    package init(rawValue: UInt8) {
        switch rawValue {
        case 0x00: self = .succeeded
        case 0x01: self = .generalFailure
        case 0x02: self = .notAllowedByRuleset
        case 0x03: self = .networkUnreachable
        case 0x04: self = .hostUnreachable
        case 0x05: self = .connectionRefused
        case 0x06: self = .ttlExpired
        case 0x07: self = .commandNotSupported
        case 0x08: self = .addressTypeNotSupported
        default: self = .unassigned(rawValue)
        }
    }

    package var rawValue: UInt8 {
        switch self {
        case .succeeded: return 0x00
        case .generalFailure: return 0x01
        case .notAllowedByRuleset: return 0x02
        case .networkUnreachable: return 0x03
        case .hostUnreachable: return 0x04
        case .connectionRefused: return 0x05
        case .ttlExpired: return 0x06
        case .commandNotSupported: return 0x07
        case .addressTypeNotSupported: return 0x08
        case .unassigned(let value): return value
        }
    }
}
