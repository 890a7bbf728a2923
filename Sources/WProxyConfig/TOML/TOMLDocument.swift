/// A parsed TOML v1.0.0 document whose every key and value remembers the line it was written on,
/// so that configuration errors can name `file:line`.
///
/// Parsing either returns the whole tree or throws the first syntax or structure error (duplicate
/// key, redefined table, …); it never returns a partial tree and never traps on any input. Nesting
/// of arrays, inline tables and tables is limited to ``maxNestingDepth`` levels so that hostile input
/// cannot exhaust the stack. The size of the document is the caller's business.
package struct TOMLDocument: Sendable {
    /// How deeply tables and arrays may nest, counting from the root table.
    package static let maxNestingDepth = 64

    /// The top-level table. Its `line` is 1.
    package let root: TOMLTable
    /// The name given to `init(parsing:fileName:)`, used as the prefix of error messages.
    package let fileName: String

    /// Parses `text`. A UTF-8 byte order mark at the start is skipped; LF and CRLF line endings are
    /// both accepted (a CRLF inside a multi-line string becomes LF).
    package init(parsing text: String, fileName: String) throws(TOMLSyntaxError) {
        var parser = TOMLParser(text: text, fileName: fileName)
        self.root = try parser.parseDocument()
        self.fileName = fileName
    }
}
