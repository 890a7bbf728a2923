/// One problem in a config file, located by file and line.
package struct ConfigIssue: Hashable, Sendable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var message: String

    package init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    package var description: String { "\(file):\(line): \(message)" }
}

/// Every problem found in a config file; `description` lists them one per line.
package struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    package var issues: [ConfigIssue]

    package init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    package var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Collects issues while a file is decoded, so that every error is reported at once.
final class IssueCollector {
    let file: String
    private(set) var issues: [ConfigIssue] = []

    init(file: String) {
        self.file = file
    }

    func add(line: Int, _ message: String) {
        issues.append(ConfigIssue(file: file, line: line, message: message))
    }
}
