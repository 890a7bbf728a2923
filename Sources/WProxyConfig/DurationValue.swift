/// Durations as written in flags and the config file: `250ms`, `5s`, `2m`, `1h` (a bare number is seconds).
package enum DurationValue {
    package static func parse(_ text: String) throws(ConfigValueError) -> Duration {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var number = Substring(text)
        var millisPerUnit: Int64 = 1000
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            millisPerUnit = factor
            break
        }
        guard let value = Int64(number), value >= 0 else {
            throw ConfigValueError("'\(text)' is not a duration: expected e.g. 250ms, 5s, 2m, 1h")
        }
        let (millis, overflow) = value.multipliedReportingOverflow(by: millisPerUnit)
        guard !overflow, millis <= 365 * 24 * 3_600_000 else {
            throw ConfigValueError("duration '\(text)' is too long (at most one year)")
        }
        return .milliseconds(millis)
    }

    /// Formats a duration the way the user would write it.
    package static func format(_ duration: Duration) -> String {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if millis % 3_600_000 == 0 && millis > 0 { return "\(millis / 3_600_000)h" }
        if millis % 60_000 == 0 && millis > 0 { return "\(millis / 60_000)m" }
        if millis % 1000 == 0 { return "\(millis / 1000)s" }
        return "\(millis)ms"
    }
}
