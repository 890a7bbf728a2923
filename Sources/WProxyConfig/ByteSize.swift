/// Sizes as written in flags and the config file: `512`, `8k`, `1m`, `1g` (powers of 1024).
package enum ByteSize {
    package static func parse(_ text: String) throws(ConfigValueError) -> Int {
        let lower = text.lowercased()
        var number = Substring(lower)
        var factor = 1
        if let last = lower.last, let scale = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30][String(last)] {
            number = lower.dropLast()
            factor = scale
        }
        guard let value = Int(number), value >= 0 else {
            throw ConfigValueError("'\(text)' is not a size: expected e.g. 512, 8k, 1m")
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw ConfigValueError("size '\(text)' is too large") }
        return bytes
    }
}
