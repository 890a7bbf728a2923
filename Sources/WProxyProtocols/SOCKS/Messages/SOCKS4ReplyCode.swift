/// The CD field of a SOCKS4 reply. Unknown values parse as `.other`; build from the wire with ``init(rawValue:)``.
package enum SOCKS4ReplyCode: Hashable, Sendable {
    /// 0x5A.
    case granted
    /// 0x5B: rejected or failed. wproxy sends this for every failure.
    case rejected
    /// 0x5C: the server could not reach identd on the client.
    case identdUnreachable
    /// 0x5D: identd reported a different user ID.
    case identdMismatch
    case other(UInt8)

    package init(rawValue: UInt8) {
        switch rawValue {
        case 0x5A: self = .granted
        case 0x5B: self = .rejected
        case 0x5C: self = .identdUnreachable
        case 0x5D: self = .identdMismatch
        default: self = .other(rawValue)
        }
    }

    package var rawValue: UInt8 {
        switch self {
        case .granted: return 0x5A
        case .rejected: return 0x5B
        case .identdUnreachable: return 0x5C
        case .identdMismatch: return 0x5D
        case .other(let value): return value
        }
    }
}
