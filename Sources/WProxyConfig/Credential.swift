#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One user and password for `--auth USER:PASS` and `--auth-file` (SOCKS5 RFC 1929, HTTP Basic).
///
/// Guarantees: `user` is 1...255 UTF-8 bytes without `:`, `password` at most 255 bytes, neither contains
/// NUL or a line break: so every credential fits an RFC 1929 request and a Basic header.
package struct Credential: Hashable, Sendable, CustomStringConvertible {
    package let user: String
    package let password: String

    package init(user: String, password: String) throws(ConfigValueError) {
        guard !user.isEmpty else { throw ConfigValueError("empty user name: expected USER:PASS") }
        guard user.utf8.count <= 255, password.utf8.count <= 255 else {
            throw ConfigValueError("user name and password must be at most 255 bytes each")
        }
        let forbidden: Set<UInt8> = [0, 0x0A, 0x0D]
        guard !user.utf8.contains(where: forbidden.contains), !password.utf8.contains(where: forbidden.contains) else {
            throw ConfigValueError("user name and password must not contain NUL or line breaks")
        }
        self.user = user
        self.password = password
    }

    /// `USER:PASS`, split at the first `:` (so the password may contain `:`).
    package init(parsing text: String) throws(ConfigValueError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw ConfigValueError("'\(Self.redacted(text))' is not USER:PASS")
        }
        try self.init(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    /// Parses the text of an auth file: one `user:password` per line; blank lines and lines starting
    /// with `#` (after leading spaces) are skipped; `\n` and `\r\n` line ends both work. Errors name `source:LINE`.
    package static func parseFile(contents: String, source: String) throws(ConfigValueError) -> [Credential] {
        var credentials: [Credential] = []
        var lineNumber = 0
        // `\r\n` is one Character in Swift, so split on every kind of line end, not on "\n".
        for line in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                credentials.append(try Credential(parsing: String(line)))
            } catch {
                throw ConfigValueError("\(source):\(lineNumber): \(error)")
            }
        }
        return credentials
    }

    /// Reads and parses an auth file (see ``parseFile(contents:source:)``).
    package static func load(file path: String) throws(ConfigValueError) -> [Credential] {
        try parseFile(contents: try TextFile.read(path), source: path)
    }

    /// The user only: passwords never reach logs or error messages.
    package var description: String { "\(user):***" }

    private static func redacted(_ text: String) -> String {
        text.count > 2 ? String(text.prefix(2)) + "…" : text
    }
}

/// Reads small text files without Foundation.
package enum TextFile {
    package static func read(_ path: String, limit: Int = 16 << 20) throws(ConfigValueError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigValueError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigValueError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { throw ConfigValueError("\(path) is larger than \(limit) bytes") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigValueError("\(path) is not UTF-8 text")
        }
        return text
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif
