/// Values and tables describe themselves in TOML inline syntax (`{a = 1, b = ["x", 2.5]}`), which
/// is what error messages quote and what tests compare. The text is valid TOML for every value;
/// lines are not part of it.
extension TOMLValue: CustomStringConvertible {
    package var description: String {
        var output = ""
        TOMLInlineWriter.write(self, to: &output)
        return output
    }
}

extension TOMLTable: CustomStringConvertible {
    package var description: String {
        var output = ""
        TOMLInlineWriter.write(self, to: &output)
        return output
    }
}

private enum TOMLInlineWriter {
    static func write(_ value: TOMLValue, to output: inout String) {
        switch value.kind {
        case .string(let string): writeQuoted(string, to: &output)
        case .integer(let integer): output += String(integer)
        case .float(let float): output += format(float)
        case .bool(let bool): output += bool ? "true" : "false"
        case .datetime(let text): output += text
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += ", " }
                write(element, to: &output)
            }
            output += "]"
        case .table(let table): write(table, to: &output)
        }
    }

    static func write(_ table: TOMLTable, to output: inout String) {
        output += "{"
        for (offset, entry) in table.entries.enumerated() {
            output += offset > 0 ? ", " : ""
            writeKey(entry.key, to: &output)
            output += " = "
            write(entry.value, to: &output)
        }
        output += "}"
    }

    private static func format(_ float: Double) -> String {
        if float.isNaN { return "nan" }
        if float.isInfinite { return float < 0 ? "-inf" : "inf" }
        return "\(float)"
    }

    private static func writeKey(_ key: String, to output: inout String) {
        let isBare = !key.isEmpty && key.utf8.allSatisfy { TOMLParser.isBareKeyByte($0) }
        if isBare { output += key } else { writeQuoted(key, to: &output) }
    }

    private static func writeQuoted(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\t": output += "\\t"
            case "\n": output += "\\n"
            case "\u{0C}": output += "\\f"
            case "\r": output += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
