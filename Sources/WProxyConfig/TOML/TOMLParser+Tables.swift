/// The rules of TOML v1.0.0 about what may be defined where:
///
/// - a key is defined once; a table is defined once, by a header or by dotted keys, not both;
/// - `[a.b.c]` creates `a` and `a.b` implicitly, and a later `[a]` may still define `a`;
/// - `[[a]]` appends to an array of tables, and headers below it (`[a.b]`, `[[a.b]]`) attach to
///   its last element; a static array (`a = []`) cannot be appended to;
/// - dotted keys may add to tables that dotted keys created (and to implicit ones, which then count
///   as defined by dotted keys), but never to a table that has its own header, an array of tables
///   or an inline table; inline tables are never extended.
extension TOMLParser {
    /// `[path]`: returns the table that the following key/value pairs go into.
    mutating func defineTable(_ path: [KeySegment], line: Int) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let parent = try descendForHeader(path)
        let last = path[path.count - 1]
        switch parent[last.name] {
        case nil:
            let table = try makeTable(.header, under: parent, at: last, line: line)
            parent.insert(last.name, .table(table), line: line)
            return table
        case .table(let table):
            switch table.origin {
            case .implicit:
                table.origin = .header
                table.line = line
                return table
            case .header, .arrayElement:
                throw error("table [\(describe(path))] is defined twice (first on line \(table.line))", at: last.offset)
            case .dotted:
                throw error("table [\(describe(path))] was already defined by dotted keys on line \(table.line)", at: last.offset)
            }
        case .tableArray(let array):
            throw error(
                "'\(describe(path))' is an array of tables (line \(array.line)); use [[\(describe(path))]] to add an element",
                at: last.offset)
        case .value(let value):
            let line = parent.keyLine(last.name) ?? value.line
            throw error("key '\(describe(path))' is already defined as \(Self.noun(for: value)) on line \(line)", at: last.offset)
        }
    }

    /// `[[path]]`: appends a new table to the array and returns it.
    mutating func appendTableArrayElement(_ path: [KeySegment], line: Int) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let parent = try descendForHeader(path)
        let last = path[path.count - 1]
        let element = try makeTable(.arrayElement, under: parent, at: last, line: line)
        switch parent[last.name] {
        case nil:
            let array = TOMLTableBuilder.TableArray(line: line)
            array.append(element)
            parent.insert(last.name, .tableArray(array), line: line)
        case .tableArray(let array):
            array.append(element)
        case .table(let table):
            throw error("cannot define [[\(describe(path))]]: '\(describe(path))' is already a table (line \(table.line))", at: last.offset)
        case .value(let value):
            let line = parent.keyLine(last.name) ?? value.line
            if case .array = value.kind {
                throw error(
                    "cannot append to '\(describe(path))' with [[\(describe(path))]]: it is a static array defined on line \(line)",
                    at: last.offset)
            }
            throw error("key '\(describe(path))' is already defined as \(Self.noun(for: value)) on line \(line)", at: last.offset)
        }
        return element
    }

    /// Adds `key = value` to `table`, creating the tables a dotted key names.
    mutating func insert(_ value: TOMLValue, at path: [KeySegment], into table: TOMLTableBuilder, line: Int) throws(TOMLSyntaxError) {
        var parent = table
        for (position, segment) in path.dropLast().enumerated() {
            let shown = describe(path[...position])
            switch parent[segment.name] {
            case nil:
                let child = try makeTable(.dotted, under: parent, at: segment, line: line)
                parent.insert(segment.name, .table(child), line: line)
                parent = child
            case .table(let child):
                switch child.origin {
                case .dotted:
                    parent = child
                case .implicit:
                    child.origin = .dotted
                    parent = child
                case .header, .arrayElement:
                    throw error("cannot add to table [\(child.name)] with dotted keys: it has its own header on line \(child.line)", at: segment.offset)
                }
            case .tableArray(let array):
                throw error("cannot add to the array of tables '\(shown)' (line \(array.line)) with dotted keys", at: segment.offset)
            case .value(let existing):
                throw extendValueError(existing, named: shown, line: parent.keyLine(segment.name), at: segment.offset)
            }
        }
        let last = path[path.count - 1]
        if let firstLine = parent.keyLine(last.name) {
            throw error("duplicate key '\(describe(path[...]))' (first defined on line \(firstLine))", at: last.offset)
        }
        parent.insert(last.name, .value(value), line: line)
    }

    /// Walks the super-tables of a header (every segment but the last), creating implicit ones.
    private mutating func descendForHeader(_ path: [KeySegment]) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        var parent = root
        for (position, segment) in path.dropLast().enumerated() {
            switch parent[segment.name] {
            case nil:
                let child = try makeTable(.implicit, under: parent, at: segment, line: line)
                parent.insert(segment.name, .table(child), line: line)
                parent = child
            case .table(let child):
                parent = child
            case .tableArray(let array):
                guard let lastElement = array.elements.last else {
                    preconditionFailure("an array of tables is created with its first element")
                }
                parent = lastElement
            case .value(let existing):
                throw extendValueError(existing, named: describe(path[...position]), line: parent.keyLine(segment.name), at: segment.offset)
            }
        }
        return parent
    }

    private func makeTable(
        _ origin: TOMLTableBuilder.Origin, under parent: TOMLTableBuilder, at segment: KeySegment, line: Int
    ) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        guard parent.depth < TOMLDocument.maxNestingDepth else {
            throw error("tables are nested too deeply (the limit is \(TOMLDocument.maxNestingDepth) levels)", at: segment.offset)
        }
        let name = Self.describe(segment.name)
        return TOMLTableBuilder(
            origin: origin, name: parent.name.isEmpty ? name : parent.name + "." + name, line: line, depth: parent.depth + 1)
    }

    private func extendValueError(_ value: TOMLValue, named name: String, line: Int?, at offset: Int) -> TOMLSyntaxError {
        let line = line ?? value.line
        if case .table = value.kind {
            return error("cannot add to '\(name)': it is an inline table (line \(line)) and inline tables cannot be extended", at: offset)
        }
        return error("cannot use '\(name)' as a table: it is already defined as \(Self.noun(for: value)) on line \(line)", at: offset)
    }

    /// "a string", "an integer", "an inline table", … for messages.
    private static func noun(for value: TOMLValue) -> String {
        switch value.kind {
        case .table: "an inline table"
        case .array: "an array"
        case .integer: "an integer"
        case .string, .float, .bool, .datetime: "a \(value.typeName)"
        }
    }

    /// The path as it could be written in a header: bare segments as they are, others quoted.
    private func describe(_ path: some Collection<KeySegment>) -> String {
        path.map { Self.describe($0.name) }.joined(separator: ".")
    }

    private static func describe(_ key: String) -> String {
        let isBare = !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte)
        return isBare ? key : TOMLValue(.string(key), line: 0).description
    }
}
