/// The host part of a SOCKS destination or bound address, without the port.
///
/// IP addresses are held as integers in host byte order (`.ipv4(0x7F00_0001)` is 127.0.0.1,
/// `.ipv6(high: 0, low: 1)` is ::1), so the type is cheap to hash and never allocates.
/// A `.domain` is whatever the peer sent; on the wire it must be 1...255 UTF-8 bytes without NUL.
package enum SOCKSAddress: Hashable, Sendable {
    case ipv4(UInt32)
    case ipv6(high: UInt64, low: UInt64)
    case domain(String)

    /// SOCKS5 ATYP values (RFC 1928 §4).
    package static let ipv4AddressType: UInt8 = 0x01
    package static let domainAddressType: UInt8 = 0x03
    package static let ipv6AddressType: UInt8 = 0x04

    /// Classifies `host`: an IPv4 dotted quad, an IPv6 literal (with or without brackets, no zone),
    /// or else a domain name.
    package init(host: String) {
        if let ipv4 = SOCKSAddress.parseIPv4(Array(host.utf8)) {
            self = .ipv4(ipv4)
            return
        }
        var bytes = Array(host.utf8)
        if bytes.count >= 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") {
            bytes = Array(bytes.dropFirst().dropLast())
        }
        if let (high, low) = SOCKSAddress.parseIPv6(bytes) {
            self = .ipv6(high: high, low: low)
            return
        }
        self = .domain(host)
    }

    /// Builds an `.ipv6` from 16 network-order bytes.
    package init?(ipv6Bytes bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self = .ipv6(high: high, low: low)
    }

    /// The packed network-order bytes of an IP address; nil for a domain.
    package var packedBytes: [UInt8]? {
        switch self {
        case .ipv4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .ipv6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        case .domain:
            return nil
        }
    }
}

extension SOCKSAddress: CustomStringConvertible {
    /// Dotted quad, RFC 5952 IPv6 text (no brackets), or the domain as given.
    package var description: String {
        switch self {
        case .ipv4(let value):
            return (0..<4).map { String(UInt8(truncatingIfNeeded: value >> (24 - 8 * $0))) }.joined(separator: ".")
        case .ipv6(let high, let low):
            return SOCKSAddress.formatIPv6(high: high, low: low)
        case .domain(let name):
            return name
        }
    }
}

// MARK: - Text forms

extension SOCKSAddress {
    /// Parses exactly four decimal octets `a.b.c.d` (no leading `+`, each 0...255, at most 3 digits).
    static func parseIPv4(_ bytes: some Collection<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        for part in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3 else { return nil }
            var octet: UInt32 = 0
            for byte in part {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            guard octet <= 255 else { return nil }
            result = result << 8 | octet
            octets += 1
            guard octets <= 4 else { return nil }
        }
        return octets == 4 ? result : nil
    }

    /// Parses an RFC 4291 IPv6 literal, including `::` and a trailing dotted IPv4 part.
    static func parseIPv6(_ bytes: [UInt8]) -> (UInt64, UInt64)? {
        let colon = UInt8(ascii: ":")
        var doubleColon: Int? = nil
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == colon, bytes[index + 1] == colon {
                guard doubleColon == nil else { return nil }
                doubleColon = index
                index += 2
            } else {
                index += 1
            }
        }
        var head: [UInt16]
        var tail: [UInt16] = []
        if let split = doubleColon {
            guard let parsedHead = parseIPv6Groups(bytes[..<split], allowIPv4Tail: false),
                let parsedTail = parseIPv6Groups(bytes[(split + 2)...], allowIPv4Tail: true),
                parsedHead.count + parsedTail.count <= 7
            else { return nil }
            head = parsedHead
            tail = parsedTail
            head += Array(repeating: 0, count: 8 - parsedHead.count - parsedTail.count)
        } else {
            guard let groups = parseIPv6Groups(bytes[...], allowIPv4Tail: true), groups.count == 8 else {
                return nil
            }
            head = groups
        }
        let groups = head + tail
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// Colon-separated groups of 1...4 hex digits; an empty input is zero groups.
    private static func parseIPv6Groups(_ bytes: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if bytes.isEmpty { return [] }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (position, part) in parts.enumerated() {
            if allowIPv4Tail, position == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let ipv4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: ipv4 >> 16))
                groups.append(UInt16(truncatingIfNeeded: ipv4))
                continue
            }
            guard !part.isEmpty, part.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in part {
                guard let digit = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            groups.append(group)
        }
        return groups.count <= 8 ? groups : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`.
    static func formatIPv6(high: UInt64, low: UInt64) -> String {
        let groups =
            (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
            } else {
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else {
            return hex.joined(separator: ":")
        }
        let before = hex[..<bestStart].joined(separator: ":")
        let after = hex[(bestStart + bestLength)...].joined(separator: ":")
        return before + "::" + after
    }
}
