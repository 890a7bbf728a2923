/// Reads typed values out of one TOML table, recording type and value errors with their line,
/// and remembering which keys were read so that unknown keys can be reported.
struct TableReader {
    let source: TOMLTable
    /// Where this table sits, for messages: `listeners[2]`, `global`...
    let path: String
    let issues: IssueCollector
    private var used: Set<String> = []

    init(_ table: TOMLTable, path: String, issues: IssueCollector) {
        self.source = table
        self.path = path
        self.issues = issues
    }

    var line: Int { source.line }

    func line(of key: String) -> Int { source.keyLine(key) ?? source[key]?.line ?? source.line }

    func has(_ key: String) -> Bool { source[key] != nil }

    /// The value of `key` without reading it (to choose how to read it).
    func rawValue(_ key: String) -> TOMLValue? { source[key] }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String) {
        issues.add(line: line(of: key), "\(name(key)): \(message)")
    }

    private mutating func value(_ key: String) -> TOMLValue? {
        used.insert(key)
        return source[key]
    }

    private func typeError(_ key: String, expected: String, got value: TOMLValue) {
        fail(key, "expected \(expected), got \(value.typeName)")
    }

    mutating func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else {
            typeError(key, expected: "a string", got: value)
            return nil
        }
        return string
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else {
            typeError(key, expected: "true or false", got: value)
            return nil
        }
        return bool
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = value(key) else { return nil }
        guard let integer = value.integerValue else {
            typeError(key, expected: "a whole number", got: value)
            return nil
        }
        guard let int = Int(exactly: integer), range.contains(int) else {
            fail(key, "must be from \(range.lowerBound) to \(range.upperBound), not \(integer)")
            return nil
        }
        return int
    }

    /// An array of strings; a single string is accepted as a one-element array.
    mutating func strings(_ key: String) -> [String]? {
        guard let value = value(key) else { return nil }
        if let string = value.stringValue { return [string] }
        guard let array = value.arrayValue else {
            typeError(key, expected: "an array of strings", got: value)
            return nil
        }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else {
                issues.add(line: element.line, "\(name(key)): expected strings in the array, got \(element.typeName)")
                return nil
            }
            strings.append(string)
        }
        return strings
    }

    /// A string turned into a typed value by `parse`; a parse error is reported at the key's line.
    mutating func parsed<T>(_ key: String, _ parse: (String) throws(ConfigValueError) -> T) -> T? {
        guard let text = string(key) else { return nil }
        do {
            return try parse(text)
        } catch {
            fail(key, error.description)
            return nil
        }
    }

    /// Every string of an array turned into typed values; each bad element is reported.
    mutating func parsedList<T>(_ key: String, _ parse: (String) throws(ConfigValueError) -> T) -> [T]? {
        guard let texts = strings(key) else { return nil }
        var values: [T] = []
        for text in texts {
            do {
                values.append(try parse(text))
            } catch {
                fail(key, error.description)
            }
        }
        return values
    }

    mutating func duration(_ key: String, positive: Bool = true) -> Duration? {
        guard let value = parsed(key, DurationValue.parse) else { return nil }
        if positive && value <= .zero {
            fail(key, "must be above 0")
            return nil
        }
        return value
    }

    mutating func size(_ key: String) -> Int? {
        guard let value = value(key) else { return nil }
        if let integer = value.integerValue, let int = Int(exactly: integer), int >= 0 { return int }
        guard let text = value.stringValue else {
            typeError(key, expected: "a size such as 512, \"8k\" or \"1m\"", got: value)
            return nil
        }
        do {
            return try ByteSize.parse(text)
        } catch {
            fail(key, error.description)
            return nil
        }
    }

    mutating func table(_ key: String) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.tableValue else {
            typeError(key, expected: "a table", got: value)
            return nil
        }
        return TableReader(table, path: name(key), issues: issues)
    }

    mutating func tables(_ key: String) -> [TableReader]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else {
            typeError(key, expected: "an array of tables ([[\(name(key))]])", got: value)
            return nil
        }
        var readers: [TableReader] = []
        for (index, element) in array.enumerated() {
            guard let table = element.tableValue else {
                issues.add(line: element.line, "\(name(key))[\(index + 1)]: expected a table, got \(element.typeName)")
                continue
            }
            readers.append(TableReader(table, path: "\(name(key))[\(index + 1)]", issues: issues))
        }
        return readers
    }

    /// The raw value of a key (for keys that take several shapes), marked as read.
    mutating func raw(_ key: String) -> TOMLValue? {
        value(key)
    }

    /// Marks a key as known without reading it (it is read elsewhere).
    mutating func markUsed(_ key: String) {
        used.insert(key)
    }

    /// Reports every key that no reader asked for.
    func reportUnknownKeys(hint: String? = nil) {
        for key in source.keys where !used.contains(key) {
            fail(key, "unknown key" + (hint.map { " (\($0))" } ?? ""))
        }
    }
}
