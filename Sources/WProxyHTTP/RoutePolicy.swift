import NIOCore
import NIOHTTP1

/// Header changes for one direction, in the engine's terms: names in `remove` (lower case) and
/// the names of `add` are dropped, then `add` is appended.
package struct HeaderEdits: Sendable {
    package var add: [(name: String, value: String)]
    package var remove: Set<String>

    package init(add: [(name: String, value: String)] = [], remove: [String] = []) {
        self.add = add
        self.remove = Set(remove.map { $0.lowercased() } + add.map { $0.name.lowercased() })
    }

    package var isEmpty: Bool { add.isEmpty && remove.isEmpty }

    func drops(_ name: ByteBufferView) -> Bool {
        guard !remove.isEmpty else { return false }
        return remove.contains(String(decoding: name, as: UTF8.self).lowercased())
    }

    /// Applies the edits to a head the proxy made itself (static files, local answers).
    package func apply(to headers: inout HTTPHeaders) {
        for name in remove { headers.remove(name: name) }
        for (name, value) in add { headers.add(name: name, value: value) }
    }
}

/// What a mode attaches to an upstream peer when the peer belongs to a route with its own settings
/// (`reverse` sites and routes): retries, upstream timeout, path prefix to strip and header edits.
/// Immutable and shared by every connection; nil on a peer means "the listener's settings".
package final class RoutePolicy: Sendable {
    package let retries: Int
    package let upstreamTimeout: TimeAmount
    /// The route's path prefix to remove from the request-target, or nil.
    package let stripPrefix: String?
    package let requestEdits: HeaderEdits
    package let responseEdits: HeaderEdits

    package init(retries: Int, upstreamTimeout: TimeAmount, stripPrefix: String?, requestEdits: HeaderEdits, responseEdits: HeaderEdits) {
        self.retries = retries
        self.upstreamTimeout = upstreamTimeout
        self.stripPrefix = stripPrefix
        self.requestEdits = requestEdits
        self.responseEdits = responseEdits
    }

    /// True when the route changes the request head (see ``upstreamHead(_:)``).
    package var rewritesRequest: Bool { stripPrefix != nil || !requestEdits.isEmpty }

    /// The request head to send upstream: `head` itself when the route changes nothing.
    package func upstreamHead(_ head: RawRequestHead) -> RawRequestHead {
        guard rewritesRequest else { return head }
        return head.rewritten(target: stripPrefix.map { Self.strip($0, from: head.uri) }, edits: requestEdits)
    }

    /// True when the route changes the response head (see ``clientHead(_:)``).
    package var rewritesResponse: Bool { !responseEdits.isEmpty }

    /// The response head to send to the client: `head` itself when the route changes nothing.
    package func clientHead(_ head: RawResponseHead) -> RawResponseHead {
        guard rewritesResponse else { return head }
        return head.edited(responseEdits)
    }

    /// `target` without the leading `prefix`, keeping a leading `/` (and the query).
    /// `/api/` stripped from `/api/users?x=1` gives `/users?x=1`; `/api` from `/api` gives `/`.
    package static func strip(_ prefix: String, from target: String) -> String {
        guard target.hasPrefix("/") else { return target }  // absolute-form or `*`: left alone
        let pathEnd = target.firstIndex(where: { $0 == "?" }) ?? target.endIndex
        let path = target[..<pathEnd]
        let query = target[pathEnd...]
        let bare = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        guard !bare.isEmpty, path.hasPrefix(bare) else { return target }
        var rest = path.dropFirst(bare.count)
        if !rest.isEmpty && !rest.hasPrefix("/") { return target }  // not a segment boundary
        if rest.isEmpty { rest = "/" }
        return String(rest) + query
    }
}

extension RawRequestHead {
    /// A copy with another request-target and/or header edits, re-serialised (only routes that
    /// change something pay for this).
    package func rewritten(target newTarget: String?, edits: HeaderEdits) -> RawRequestHead {
        let view = bytes.readableBytesView
        var out = ByteBufferAllocator().buffer(capacity: bytes.readableBytes + 64)
        out.writeBytes(view[view.startIndex..<target.lowerBound])
        if let newTarget { out.writeString(newTarget) } else { out.writeBytes(view[target]) }
        let lineEnd = view[target.upperBound...].firstIndex(of: 0x0D) ?? target.upperBound
        out.writeBytes(view[target.upperBound..<lineEnd])
        out.writeStaticString("\r\n")
        for field in fields where !edits.drops(name(field)) {
            out.writeBytes(view[field.nameStart..<field.valueEnd])
            out.writeStaticString("\r\n")
        }
        for (name, value) in edits.add { out.writeString("\(name): \(value)\r\n") }
        out.writeStaticString("\r\n")
        let parsed = out.withUnsafeReadableBytes { ByteBuffer.parseRequestHead($0, maxURI: Int.max / 2) }
        guard case .success(let parts) = parsed else { return self }
        return RawRequestHead(bytes: out, method: method, versionMinor: parts.minor, target: parts.target, fields: parts.fields)
    }
}

extension RawResponseHead {
    /// A copy with header edits applied, re-serialised.
    package func edited(_ edits: HeaderEdits) -> RawResponseHead {
        let view = bytes.readableBytesView
        var out = ByteBufferAllocator().buffer(capacity: bytes.readableBytes + 64)
        let lineEnd = view.firstIndex(of: 0x0D) ?? statusLine.upperBound
        out.writeBytes(view[view.startIndex..<lineEnd])
        out.writeStaticString("\r\n")
        for field in fields where !edits.drops(name(field)) {
            out.writeBytes(view[field.nameStart..<field.valueEnd])
            out.writeStaticString("\r\n")
        }
        for (name, value) in edits.add { out.writeString("\(name): \(value)\r\n") }
        out.writeStaticString("\r\n")
        let parsed = out.withUnsafeReadableBytes { ByteBuffer.parseResponseHead($0) }
        guard case .success(let parts) = parsed else { return self }
        return RawResponseHead(bytes: out, versionMinor: parts.minor, status: parts.status, statusLine: parts.statusLine, fields: parts.fields)
    }
}
