/// `wproxy transparent` options.
///
/// The listener takes connections that iptables diverted to it and relays each one to where the
/// client was really going: the pre-NAT destination (`REDIRECT`, read with `SO_ORIGINAL_DST`) or
/// the accepted socket's own local address (`TPROXY`, listener with `IP_TRANSPARENT`).
package struct TransparentOptions: Hashable, Sendable {
    /// `--tproxy`: accept `TPROXY` traffic. Binding needs `CAP_NET_ADMIN`, which `--user` keeps.
    package var tproxy: Bool = false
    /// `--sniff`: note the HTTP `Host` or TLS SNI of the first bytes in the access log. The stream
    /// is neither delayed nor altered: bytes are looked at as they pass.
    package var sniff: Bool = false

    package init(tproxy: Bool = false, sniff: Bool = false) {
        self.tproxy = tproxy
        self.sniff = sniff
    }
}

/// `--ports 80,443,8000-8100`: the destination ports `--print-iptables` diverts.
package struct PortList: Hashable, Sendable, CustomStringConvertible {
    package struct Range: Hashable, Sendable {
        package var low: Int
        package var high: Int

        package init(low: Int, high: Int) {
            self.low = low
            self.high = high
        }
    }

    package var ranges: [Range]

    package init(ranges: [Range]) {
        self.ranges = ranges
    }

    package init(parsing text: String) throws(ConfigValueError) {
        var ranges: [Range] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = bounds.first.flatMap({ Int($0) }), let high = Int(bounds.last ?? "") else {
                throw ConfigValueError("'\(part)' in '\(text)' is not a port or a range LOW-HIGH")
            }
            guard (1...65535).contains(low), (1...65535).contains(high) else {
                throw ConfigValueError("port in '\(part)' is out of range 1-65535")
            }
            guard low <= high else { throw ConfigValueError("range '\(part)' runs backwards") }
            ranges.append(Range(low: low, high: high))
        }
        guard !ranges.isEmpty else { throw ConfigValueError("no ports given") }
        self.ranges = ranges
    }

    package var description: String {
        ranges.map { $0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)" }.joined(separator: ",")
    }
}

extension ListenerConfig {
    /// Problems with the transparent part of a listener.
    package func transparentValidationErrors() -> [String] {
        var errors: [String] = []
        if mode == .transparent {
            if transparent == nil { errors.append("missing transparent options") }
        } else if transparent != nil {
            errors.append("transparent options on a \(mode.rawValue) listener")
        }
        return errors
    }
}
