import NIOCore
import NIOHTTP2

/// HTTP/2 to clients (after ALPN chose `h2`): each stream becomes one HTTP/1.1 exchange through
/// the same engine as HTTP/1 connections (``HTTP1ProxyHandler``), with ``HTTP2StreamBridgeHandler``
/// translating frames to request bytes and response bytes back to frames. Streams are read only as
/// the engine asks (autoRead off), so request bodies follow HTTP/2 flow control; response bodies
/// follow the stream's writability, which tracks the client's windows.
///
/// NIOHTTP2 provides the protections (with ``HTTP2StreamCounter`` for `REFUSED_STREAM` on streams
/// over `SETTINGS_MAX_CONCURRENT_STREAMS`): a header-list limit, at most 5 CONTINUATION frames in a row, rate limits on
/// stream resets (rapid reset), stream errors and control frames (SETTINGS, PING, PRIORITY...),
/// and a glitch counter; each ends in `GOAWAY` `ENHANCE_YOUR_CALM`.
package enum HTTP2ProxyServer {
    package static func configure(
        channel: any Channel, settings: HTTPEngineSettings, http2: HTTP2ServerSettings, phases: any ProxyPhases
    ) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: HTTP2StreamCounter.hardLimit(for: http2.maxConcurrentStreams)),
            HTTP2Setting(parameter: .maxHeaderListSize, value: http2.maxHeaderListSize),
            HTTP2Setting(parameter: .initialWindowSize, value: http2.streamWindow),
        ]
        connection.targetWindowSize = http2.connectionWindow
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = http2.streamWindow
        stream.outboundBufferSizeHighWatermark = 64 << 10
        stream.outboundBufferSizeLowWatermark = 16 << 10

        let counter = NIOLoopBound(HTTP2StreamCounter(limit: http2.maxConcurrentStreams), eventLoop: channel.eventLoop)
        let manager = HTTP2ConnectionManagerHandler(idleTimeout: settings.idleTimeout)
        let handler = NIOHTTP2Handler(
            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: connection,
            streamConfiguration: stream,
            streamDelegate: HTTP2ConnectionManagerHandler.Delegate(handler: NIOLoopBound(manager, eventLoop: channel.eventLoop))
        ) { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                guard counter.value.admit(streamChannel) else {
                    try streamChannel.pipeline.syncOperations.addHandler(HTTP2RefuseStreamHandler())
                    return
                }
                // The engine decides when a stream is read (backpressure through flow control).
                try streamChannel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
                try streamChannel.pipeline.syncOperations.addHandler(HTTP2StreamBridgeHandler(scheme: settings.scheme))
                // Not `HTTP1ProxyHandler.configure`: its socket options (read buffer sizes) do not apply to streams.
                let engine = HTTP1ProxyHandler(
                    settings: settings, phases: phases, pool: settings.pools.pool(for: streamChannel.eventLoop))
                try streamChannel.pipeline.syncOperations.addHandler(engine)
            }
        }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2SettingsRewriteHandler(advertised: http2.maxConcurrentStreams))
        try sync.addHandler(handler)
        try sync.addHandler(manager)
        // The connection itself is always read: flow control and NIOHTTP2's limits bound what it buffers.
        try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        channel.read()
    }
}
