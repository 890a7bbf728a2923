/// Loads a `Configuration` from a TOML file's text.
///
/// Every problem is reported at once with `file:line`: TOML syntax, unknown keys, wrong types, bad
/// values, and the cross-listener validation (two listeners on one address...). The same
/// `validationErrors()` that the command line goes through runs here.
package enum ConfigFile {
    package static func load(text: String, fileName: String) throws(ConfigFileError) -> Configuration {
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: text, fileName: fileName)
        } catch {
            throw ConfigFileError(issues: [ConfigIssue(file: error.fileName, line: error.line, message: error.message)])
        }
        let issues = IssueCollector(file: fileName)
        var root = TableReader(document.root, path: "", issues: issues)
        var configuration = Configuration(listeners: [])
        if var global = root.table("global") {
            configuration.global = GlobalConfig.decode(&global)
            global.reportUnknownKeys()
        }
        var listenerLines: [Int] = []
        if let listeners = root.tables("listeners") {
            for var reader in listeners {
                listenerLines.append(reader.line)
                if let listener = ListenerConfig.decode(&reader) {
                    configuration.listeners.append(listener)
                }
            }
        } else {
            issues.add(line: 1, "no [[listeners]]: a config needs at least one listener")
        }
        root.reportUnknownKeys(hint: "top-level keys are [global] and [[listeners]]")
        guard issues.issues.isEmpty else {
            throw ConfigFileError(issues: issues.issues.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element))
        }
        let problems = configuration.validationIssues()
        guard problems.isEmpty else {
            throw ConfigFileError(issues: problems.map { problem in
                let line = problem.listener.flatMap { $0 < listenerLines.count ? listenerLines[$0] : nil } ?? 1
                return ConfigIssue(file: fileName, line: line, message: problem.message)
            })
        }
        return configuration.withRedirectListeners()
    }
}
