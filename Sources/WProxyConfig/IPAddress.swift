/// An IPv4 or IPv6 address as integers in host byte order, parsed without NIO or Foundation.
///
/// `.v4(0x7F00_0001)` is 127.0.0.1; `.v6(high: 0, low: 1)` is ::1. Used by ``CIDR`` and the ACLs, which
/// must compare the addresses NIO reports (`SocketAddress.ipAddress` text) without importing NIO here.
package enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(high: UInt64, low: UInt64)

    /// Parses `a.b.c.d` or an RFC 4291 IPv6 literal (`::`, a dotted IPv4 tail, optional brackets).
    /// A zone (`%eth0`) is ignored. Anything else is nil.
    package init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)
        if bytes.count >= 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") {
            bytes = Array(bytes.dropFirst().dropLast())
        }
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")), bytes.contains(UInt8(ascii: ":")) {
            bytes = Array(bytes[..<percent])
        }
        if let value = Self.parseIPv4(bytes[...]) {
            self = .v4(value)
        } else if let (high, low) = Self.parseIPv6(bytes) {
            self = .v6(high: high, low: low)
        } else {
            return nil
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), as a dual-stack socket
    /// reports an IPv4 peer; nil for anything else.
    package var mappedIPv4: UInt32? {
        guard case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF else { return nil }
        return UInt32(truncatingIfNeeded: low)
    }

    /// The address with an IPv4-mapped IPv6 address turned into plain IPv4.
    package var unmapped: IPAddress {
        mappedIPv4.map { .v4($0) } ?? self
    }

    /// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
    package var isLoopback: Bool {
        switch unmapped {
        case .v4(let value): return value >> 24 == 127
        case .v6(let high, let low): return high == 0 && low == 1
        }
    }

    /// 0.0.0.0 or ::.
    package var isUnspecified: Bool {
        switch self {
        case .v4(let value): return value == 0
        case .v6(let high, let low): return high == 0 && low == 0
        }
    }

    package var description: String {
        switch self {
        case .v4(let value):
            return (0..<4).map { String(UInt8(truncatingIfNeeded: value >> (24 - 8 * $0))) }.joined(separator: ".")
        case .v6(let high, let low):
            let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
                + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
            var best = (start: -1, length: 0)
            var run = -1
            for (index, group) in groups.enumerated() {
                if group != 0 {
                    run = -1
                    continue
                }
                if run < 0 { run = index }
                if index - run + 1 > best.length { best = (run, index - run + 1) }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard best.length >= 2 else { return hex.joined(separator: ":") }
            return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
        }
    }

    // MARK: - Parsing

    /// Exactly four decimal octets, each 0...255 and at most three digits.
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        for part in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, octets < 4 else { return nil }
            var octet: UInt32 = 0
            for byte in part {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            guard octet <= 255 else { return nil }
            result = result << 8 | octet
            octets += 1
        }
        return octets == 4 ? result : nil
    }

    static func parseIPv6(_ bytes: [UInt8]) -> (UInt64, UInt64)? {
        guard bytes.count >= 2, bytes.contains(UInt8(ascii: ":")) else { return nil }
        var split: Int?
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: ":") {
                guard split == nil else { return nil }
                split = index
                index += 2
            } else {
                index += 1
            }
        }
        var parsed: [UInt16]
        if let split {
            guard let head = groups(bytes[..<split], ipv4Tail: false),
                let tail = groups(bytes[(split + 2)...], ipv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            parsed = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(bytes[...], ipv4Tail: true), all.count == 8 else { return nil }
            parsed = all
        }
        let high = parsed[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = parsed[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    private static func groups(_ bytes: ArraySlice<UInt8>, ipv4Tail: Bool) -> [UInt16]? {
        if bytes.isEmpty { return [] }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var result: [UInt16] = []
        for (position, part) in parts.enumerated() {
            if ipv4Tail, position == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let value = parseIPv4(part) else { return nil }
                result.append(UInt16(truncatingIfNeeded: value >> 16))
                result.append(UInt16(truncatingIfNeeded: value))
                continue
            }
            guard !part.isEmpty, part.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in part {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                group = group << 4 | UInt16(digit)
            }
            result.append(group)
        }
        return result.count <= 8 ? result : nil
    }
}
