extension GlobalConfig {
    static func decode(_ reader: inout TableReader) -> GlobalConfig {
        var global = GlobalConfig()
        global.workers = reader.int("workers", in: 1...1024)
        if let level = reader.string("log_level") {
            if let parsed = LogLevel(rawValue: level) { global.logLevel = parsed } else {
                reader.fail("log_level", "'\(level)' is not one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let format = reader.string("log_format") {
            if let parsed = LogFormat(rawValue: format) { global.logFormat = parsed } else {
                reader.fail("log_format", "'\(format)' is not one of text, json")
            }
        }
        if let target = reader.parsed("access_log", AccessLogTarget.init(parsing:)) { global.accessLog = target }
        global.metrics = reader.parsed("metrics", ListenAddress.init(parsing:))
        if let drain = reader.duration("drain_timeout") { global.drainTimeout = drain }
        global.user = reader.string("user")
        return global
    }
}
