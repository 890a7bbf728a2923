import NIOCore

extension ByteBuffer {
    /// Writes the request head: request line, `Host`, optional `Proxy-Authorization: Basic`, blank line.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    package mutating func writeHTTPConnectRequest(_ request: HTTPConnectRequest) -> Int {
        let authority = request.authority
        var head = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let credentials = request.credentials {
            let token = Base64.encode(Array("\(credentials.username):\(credentials.password)".utf8))
            head += "Proxy-Authorization: Basic \(token)\r\n"
        }
        head += "\r\n"
        return self.writeString(head)
    }
}
