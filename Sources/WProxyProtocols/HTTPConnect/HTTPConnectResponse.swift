/// The head of an upstream proxy's answer to CONNECT.
///
/// A 2xx status means the tunnel is open and every byte after the head belongs to it; any other
/// status means the proxy refused (407 asks for credentials, see `Proxy-Authenticate`).
package struct HTTPConnectResponse: Hashable, Sendable {
    /// One header field as received; the name keeps its case.
    package struct Header: Hashable, Sendable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// 100...599.
    package var statusCode: Int
    /// The reason phrase, possibly empty.
    package var reason: String
    /// Header fields in the order received.
    package var headers: [Header]

    package init(statusCode: Int, reason: String, headers: [Header] = []) {
        self.statusCode = statusCode
        self.reason = reason
        self.headers = headers
    }

    /// Whether the proxy opened the tunnel (a 2xx status).
    package var isSuccess: Bool {
        (200...299).contains(self.statusCode)
    }

    /// The value of the first header named `name`, compared ignoring ASCII case.
    package func value(forHeader name: String) -> String? {
        let wanted = Self.asciiLowercased(name)
        return self.headers.first { Self.asciiLowercased($0.name) == wanted }?.value
    }

    private static func asciiLowercased(_ text: String) -> [UInt8] {
        text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
    }
}
