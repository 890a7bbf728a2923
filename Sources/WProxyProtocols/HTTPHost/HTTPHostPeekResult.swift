/// What ``HTTPHostParser/peek(_:)`` learned from the bytes received so far.
package enum HTTPHostPeekResult: Hashable, Sendable {
    /// The bytes are a valid prefix of an HTTP/1.x request head without a `Host` field yet.
    case needMoreData
    /// The request names its host: lowercased, without port, brackets or trailing dot; `nil`
    /// when the whole head arrived without a `Host` field (HTTP/1.0) or with an empty one.
    case host(String?)
}
