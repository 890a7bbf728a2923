/// One TOML value and the line where it starts.
///
/// For a multi-line string, array or inline table that is the line of the opening delimiter; for a
/// table defined by a header, the header's line; for an array of tables, the line of its first
/// `[[header]]`.
package struct TOMLValue: Sendable {
    package enum Kind: Sendable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        /// An offset date-time, local date-time, local date or local time, exactly as written
        /// (its shape and field ranges were validated).
        case datetime(String)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    package let kind: Kind
    package let line: Int

    package init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// The TOML name of the value's type, for error messages: "string", "integer", "float",
    /// "boolean", "datetime", "array" or "table".
    package var typeName: String {
        switch kind {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .bool: "boolean"
        case .datetime: "datetime"
        case .array: "array"
        case .table: "table"
        }
    }

    package var stringValue: String? {
        if case .string(let value) = kind { value } else { nil }
    }

    package var integerValue: Int64? {
        if case .integer(let value) = kind { value } else { nil }
    }

    /// The float, or `nil` for any other kind (integers are not converted).
    package var floatValue: Double? {
        if case .float(let value) = kind { value } else { nil }
    }

    package var boolValue: Bool? {
        if case .bool(let value) = kind { value } else { nil }
    }

    package var datetimeValue: String? {
        if case .datetime(let value) = kind { value } else { nil }
    }

    package var arrayValue: [TOMLValue]? {
        if case .array(let value) = kind { value } else { nil }
    }

    package var tableValue: TOMLTable? {
        if case .table(let value) = kind { value } else { nil }
    }
}
