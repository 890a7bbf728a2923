/// An IPv4 or IPv6 network, `a.b.c.d/n` or `v6/n`; a bare address is a /32 or /128.
///
/// Guarantees: host bits below the prefix are cleared (`10.1.2.3/8` is stored as `10.0.0.0/8`), so two
/// CIDRs naming the same network are equal. ``contains(_:)`` compares an IPv4-mapped IPv6 address
/// (`::ffff:10.0.0.1`, what a dual-stack listener reports for IPv4 clients) as the IPv4 address it carries.
package struct CIDR: Hashable, Sendable, CustomStringConvertible {
    package let network: IPAddress
    package let prefixLength: Int

    package init(parsing text: String) throws(ConfigValueError) {
        let addressText: Substring
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let prefixText = text[text.index(after: slash)...]
            guard let value = Int(prefixText), prefixText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ConfigValueError("'\(text)' has an invalid prefix length '\(prefixText)'")
            }
            prefix = value
        } else {
            addressText = Substring(text)
        }
        guard let address = IPAddress(addressText) else {
            throw ConfigValueError("'\(text)' is not an IP address or CIDR (expected e.g. 10.0.0.0/8, 127.0.0.1, ::1/128)")
        }
        let maxPrefix: Int
        switch address {
        case .v4: maxPrefix = 32
        case .v6: maxPrefix = 128
        }
        let length = prefix ?? maxPrefix
        guard (0...maxPrefix).contains(length) else {
            throw ConfigValueError("prefix length \(length) in '\(text)' is out of range 0-\(maxPrefix)")
        }
        self.init(network: address, prefixLength: length)
    }

    /// `network` with its host bits cleared.
    package init(network: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        switch network {
        case .v4(let value):
            self.network = .v4(value & Self.mask32(prefixLength))
        case .v6(let high, let low):
            let (highMask, lowMask) = Self.mask128(prefixLength)
            self.network = .v6(high: high & highMask, low: low & lowMask)
        }
    }

    package func contains(_ address: IPAddress) -> Bool {
        switch (network, address.unmapped) {
        case (.v4(let net), .v4(let value)):
            return value & Self.mask32(prefixLength) == net
        case (.v6(let netHigh, let netLow), .v6(let high, let low)):
            let (highMask, lowMask) = Self.mask128(prefixLength)
            return high & highMask == netHigh && low & lowMask == netLow
        case (.v6(let netHigh, let netLow), .v4(let value)):
            // An IPv6 rule written for mapped addresses (::ffff:0:0/96 and narrower) still covers IPv4.
            let (_, lowMask) = Self.mask128(prefixLength)
            return netHigh == 0 && (0xFFFF_0000_0000 | UInt64(value)) & lowMask == netLow
        case (.v4, .v6):
            return false
        }
    }

    /// Parses `text` as an IP first; a text that is not an IP is never contained.
    package func contains(_ text: some StringProtocol) -> Bool {
        IPAddress(text).map(contains) ?? false
    }

    package var description: String { "\(network)/\(prefixLength)" }

    private static func mask32(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - length)
    }

    private static func mask128(_ length: Int) -> (UInt64, UInt64) {
        switch length {
        case 0: return (0, 0)
        case 1...64: return (UInt64.max << (64 - length), 0)
        default: return (UInt64.max, length == 128 ? UInt64.max : UInt64.max << (128 - length))
        }
    }
}
