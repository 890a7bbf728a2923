/// A `tcp` upstream: `HOST:PORT[,weight=N][,backup]`.
package struct UpstreamEndpoint: Hashable, Sendable, CustomStringConvertible {
    package var address: HostPort
    package var weight: Int
    package var backup: Bool

    package init(address: HostPort, weight: Int = 1, backup: Bool = false) {
        self.address = address
        self.weight = weight
        self.backup = backup
    }

    package init(parsing text: String) throws(ConfigValueError) {
        let (target, weight, backup) = try UpstreamParameters.split(text)
        self.init(address: try HostPort(parsing: target), weight: weight, backup: backup)
    }

    package var description: String { address.description }
}

/// The `,weight=N` and `,backup` suffixes shared by every kind of upstream.
package enum UpstreamParameters {
    package static let maxWeight = 1000

    package static func split(_ text: String) throws(ConfigValueError) -> (target: String, weight: Int, backup: Bool) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard let target = parts.first, !target.isEmpty else {
            throw ConfigValueError("empty upstream in '\(text)'")
        }
        var weight = 1
        var backup = false
        for part in parts.dropFirst() {
            if part == "backup" {
                backup = true
            } else if part.hasPrefix("weight=") {
                guard let value = Int(part.dropFirst("weight=".count)), (1...maxWeight).contains(value) else {
                    throw ConfigValueError("'\(part)' in '\(text)': weight must be a whole number from 1 to \(maxWeight)")
                }
                weight = value
            } else {
                throw ConfigValueError("unknown upstream parameter '\(part)' in '\(text)': expected weight=N or backup")
            }
        }
        return (String(target), weight, backup)
    }
}
