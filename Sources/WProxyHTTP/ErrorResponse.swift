import NIOCore
import NIOHTTP1

/// The short plain-text answers the proxy gives itself (400, 403, 407, 502, 504...).
/// Each says what failed, so a user with curl sees the reason without reading our logs.
package struct ErrorResponse {
    package var head: HTTPResponseHead
    package var body: ByteBuffer

    /// - Parameter close: add `Connection: close` (the caller then closes after writing).
    package init(
        _ status: HTTPResponseStatus, _ message: String, version: HTTPVersion = .http1_1, close: Bool = true,
        extraHeaders: [(String, String)] = [], allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        let text = message.hasSuffix("\n") ? message : message + "\n"
        body = allocator.buffer(string: text)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if close { headers.add(name: "Connection", value: "close") }
        head = HTTPResponseHead(version: version, status: status, headers: headers)
    }
}
