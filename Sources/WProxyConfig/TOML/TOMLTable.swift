/// An immutable TOML table: keys in the order they were first written, each with its value and the
/// line of its definition.
///
/// Keys are unique. For a key that names a table (through a header, a dotted key or an inline
/// table), ``keyLine(_:)`` is the line where that key first appeared, while the table's own
/// ``line`` is the line of its `[header]` (or the first appearance when it never had one).
package struct TOMLTable: Sendable {
    private struct Entry: Sendable {
        let key: String
        let value: TOMLValue
        let keyLine: Int
    }

    /// The line of the table's header (`[x]` or `[[x]]`), the `{` of an inline table, the first key
    /// that implicitly created it, or 1 for the root.
    package let line: Int
    private let storage: [Entry]
    private let indexByKey: [String: Int]

    /// Builds a table from entries whose keys must be unique (checked in debug builds).
    package init(line: Int, entries: [(key: String, value: TOMLValue, keyLine: Int)]) {
        self.line = line
        self.storage = entries.map { Entry(key: $0.key, value: $0.value, keyLine: $0.keyLine) }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (offset, entry) in entries.enumerated() {
            let previous = index.updateValue(offset, forKey: entry.key)
            assert(previous == nil, "duplicate TOML key \(entry.key)")
        }
        self.indexByKey = index
    }

    /// Every key with its value, in the order the keys were first written.
    package var entries: [(key: String, value: TOMLValue)] {
        storage.map { (key: $0.key, value: $0.value) }
    }

    /// The keys in the order they were first written.
    package var keys: [String] { storage.map(\.key) }

    package var count: Int { storage.count }
    package var isEmpty: Bool { storage.isEmpty }

    package subscript(key: String) -> TOMLValue? {
        guard let index = indexByKey[key] else { return nil }
        return storage[index].value
    }

    /// The line where `key` was defined; for dotted keys and sub-tables, the line of its first
    /// definition. `nil` when the table has no such key.
    package func keyLine(_ key: String) -> Int? {
        guard let index = indexByKey[key] else { return nil }
        return storage[index].keyLine
    }
}
