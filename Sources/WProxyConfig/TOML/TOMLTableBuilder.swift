/// A mutable table used only while a document is being parsed; ``freeze()`` turns it into the
/// immutable ``TOMLTable`` the parser hands out.
///
/// It stores and orders entries but enforces none of TOML's definition rules; the parser does that
/// (`TOMLParser+Tables.swift`), using ``origin`` to know how the table came to exist. Inline tables
/// and static arrays are stored as finished ``TOMLValue``s because nothing may add to them later.
final class TOMLTableBuilder {
    /// How the table came to exist, which decides what may still add to it.
    enum Origin {
        /// Created as a super-table of a header such as `[a.b.c]`; a later `[a]` may still define it.
        case implicit
        /// Defined by its own `[header]`.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
        /// An element of an array of tables, created by `[[header]]`.
        case arrayElement
    }

    enum Slot {
        case value(TOMLValue)
        case table(TOMLTableBuilder)
        case tableArray(TableArray)
    }

    /// The elements of an array of tables, appended by each `[[header]]`.
    final class TableArray {
        /// The line of the first `[[header]]`.
        let line: Int
        private(set) var elements: [TOMLTableBuilder] = []

        init(line: Int) {
            self.line = line
        }

        func append(_ element: TOMLTableBuilder) {
            elements.append(element)
        }
    }

    var origin: Origin
    /// The dotted path from the document root (or from the enclosing inline table), as it would be
    /// written in a header, for messages.
    let name: String
    /// See ``TOMLTable/line``; updated when an implicit table later gets its own header.
    var line: Int
    /// How many tables enclose this one; the root is at depth 0.
    let depth: Int
    private var keys: [String] = []
    private var slots: [String: Slot] = [:]
    private var keyLines: [String: Int] = [:]

    init(origin: Origin, name: String, line: Int, depth: Int) {
        self.origin = origin
        self.name = name
        self.line = line
        self.depth = depth
    }

    subscript(key: String) -> Slot? { slots[key] }

    func keyLine(_ key: String) -> Int? { keyLines[key] }

    /// Adds a new key; the caller has checked that `key` is not present yet.
    func insert(_ key: String, _ slot: Slot, line: Int) {
        assert(slots[key] == nil, "TOML key \(key) inserted twice")
        keys.append(key)
        slots[key] = slot
        keyLines[key] = line
    }

    func freeze() -> TOMLTable {
        var entries: [(key: String, value: TOMLValue, keyLine: Int)] = []
        entries.reserveCapacity(keys.count)
        for key in keys {
            guard let slot = slots[key], let keyLine = keyLines[key] else { continue }
            entries.append((key: key, value: Self.freeze(slot), keyLine: keyLine))
        }
        return TOMLTable(line: line, entries: entries)
    }

    private static func freeze(_ slot: Slot) -> TOMLValue {
        switch slot {
        case .value(let value):
            return value
        case .table(let table):
            return TOMLValue(.table(table.freeze()), line: table.line)
        case .tableArray(let array):
            let elements = array.elements.map { TOMLValue(.table($0.freeze()), line: $0.line) }
            return TOMLValue(.array(elements), line: array.line)
        }
    }
}
