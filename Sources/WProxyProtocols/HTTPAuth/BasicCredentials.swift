/// `Authorization` / `Proxy-Authorization: Basic base64(user:password)` (RFC 7617).
package struct BasicCredentials: Hashable, Sendable {
    package var user: String
    package var password: String

    package init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// Parses a header value. nil when the scheme is not Basic or the value is malformed
    /// (bad base64, no colon, not UTF-8); the caller answers 407/401 either way.
    package init?(headerValue: String) {
        let trimmed = headerValue.drop { $0 == " " || $0 == "\t" }
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }),
            trimmed[..<space].lowercased() == "basic"
        else { return nil }
        let token = trimmed[space...].drop { $0 == " " || $0 == "\t" }
        let end = token.lastIndex { $0 != " " && $0 != "\t" }.map { token.index(after: $0) } ?? token.startIndex
        guard let bytes = Base64.decode(token[..<end]), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            return nil
        }
        guard let user = String(validating: bytes[..<colon], as: UTF8.self),
            let password = String(validating: bytes[(colon + 1)...], as: UTF8.self)
        else { return nil }
        self.init(user: user, password: password)
    }

    /// The header value for these credentials.
    package var headerValue: String {
        "Basic " + Base64.encode(Array("\(user):\(password)".utf8))
    }
}
