/// Why a TOML document was rejected, and where.
///
/// `line` and `column` are 1-based. `column` counts Unicode scalars from the start of the line, so
/// a tab or a multi-byte character counts as one. The position points at the offending token: the
/// second definition of a duplicate key, the opening quote of an unterminated string, the backslash
/// of a bad escape, the first character of a bad number, and so on.
package struct TOMLSyntaxError: Error, Hashable, CustomStringConvertible {
    package let fileName: String
    package let line: Int
    package let column: Int
    /// A sentence for the user, without the `file:line:column:` prefix.
    package let message: String

    package init(fileName: String, line: Int, column: Int, message: String) {
        self.fileName = fileName
        self.line = line
        self.column = column
        self.message = message
    }

    package var description: String { "\(fileName):\(line):\(column): \(message)" }
}
