import NIOCore

/// Strict conversions between IP address text and packed bytes, without libc.
///
/// Used to read PROXY v1 lines, to write v2 headers from a `SocketAddress`, and to validate
/// IPv6 literals in CONNECT requests. Accepts only the forms RFC 4291 §2.2 defines (no zone
/// IDs) and dotted-decimal IPv4 without leading zeros, so one address has one spelling.
enum IPAddressText {
    /// Four bytes for `a.b.c.d`, or nil.
    static func ipv4Bytes<Text: Collection<UInt8>>(_ text: Text) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(4)
        for part in text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy(Self.isDigit) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255, result.count < 4 else { return nil }
            result.append(UInt8(value))
        }
        return result.count == 4 ? result : nil
    }

    /// Sixteen bytes for an IPv6 address in any RFC 4291 text form, or nil.
    static func ipv6Bytes<Text: Collection<UInt8>>(_ text: Text) -> [UInt8]? {
        let text = Array(text)
        guard text.count >= 2, text.count <= 45 else { return nil }
        let colon = UInt8(ascii: ":")
        var doubleColon: Int? = nil
        for index in 0..<(text.count - 1) where text[index] == colon && text[index + 1] == colon {
            guard doubleColon == nil else { return nil }
            doubleColon = index
        }
        let groups: [UInt16]
        if let split = doubleColon {
            guard let head = Self.groups(text[..<split], allowIPv4Tail: false),
                let tail = Self.groups(text[(split + 2)...], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = Self.groups(text[...], allowIPv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        return groups.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }

    /// The packed address of an IP `SocketAddress` (4 or 16 bytes), or nil for a Unix socket.
    static func packedBytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4:
            return address.ipAddress.flatMap { Self.ipv4Bytes($0.utf8) }
        case .v6:
            return address.ipAddress.flatMap { Self.ipv6Bytes($0.utf8) }
        case .unixDomainSocket:
            return nil
        }
    }

    /// An IPv4 address as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
    static func v4Mapped(_ ipv4: [UInt8]) -> [UInt8] {
        assert(ipv4.count == 4)
        return Array(repeating: 0, count: 10) + [0xFF, 0xFF] + ipv4
    }

    /// Dotted-decimal text for four bytes.
    static func ipv4Text(_ bytes: [UInt8]) -> String {
        assert(bytes.count == 4)
        return bytes.map { String($0) }.joined(separator: ".")
    }

    /// RFC 5952 text for sixteen bytes: lowercase, the longest run of two or more zero groups
    /// (the first one on a tie) as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        assert(bytes.count == 16)
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return "::ffff:" + Self.ipv4Text(Array(bytes[12...]))
        }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 1  // a single zero group is never shortened
        var runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// Colon-separated hex groups; the last may be dotted IPv4, which counts as two groups.
    private static func groups(_ text: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty {
            return []
        }
        let pieces = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if allowIPv4Tail, index == pieces.count - 1, piece.contains(UInt8(ascii: ".")) {
                guard let v4 = Self.ipv4Bytes(piece) else { return nil }
                groups.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                groups.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                continue
            }
            guard (1...4).contains(piece.count) else { return nil }
            var value: UInt16 = 0
            for byte in piece {
                guard let digit = Self.hexValue(byte) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            groups.append(value)
        }
        return groups.count <= 8 ? groups : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
