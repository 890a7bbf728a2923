/// HTTP/2 limits of a listener (SPEC `--h2-max-streams`; header lists are held to `--max-header-size`).
package struct HTTP2ServerSettings: Sendable, Hashable {
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`; streams beyond it are refused with `REFUSED_STREAM`.
    package var maxConcurrentStreams: Int
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`, in HPACK bytes.
    package var maxHeaderListSize: Int
    /// Inbound flow-control window per stream: how much of a request body may wait unread.
    package var streamWindow: Int = 256 << 10
    /// Inbound flow-control window of the whole connection (bounds a connection's buffered bodies).
    package var connectionWindow: Int = 1 << 20

    package init(maxConcurrentStreams: Int, maxHeaderListSize: Int) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListSize = maxHeaderListSize
    }
}
