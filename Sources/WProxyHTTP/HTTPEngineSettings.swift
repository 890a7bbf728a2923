import NIOCore
import NIOPosix
import WProxyDialer

/// Everything the HTTP engine needs that is the same for every connection of a listener.
/// Immutable and shared by every event loop.
package struct HTTPEngineSettings: Sendable {
    package var headerTimeout: TimeAmount
    package var idleTimeout: TimeAmount
    package var upstreamTimeout: TimeAmount
    /// Idle timeout of a tunnel after a WebSocket upgrade.
    package var tunnelIdleTimeout: TimeAmount
    package var maxHeaderSize: Int
    package var maxURISize: Int
    package var maxBody: Int?
    /// `http` or `https`: what `X-Forwarded-Proto` says.
    package var scheme: String
    /// `--upstream-host`: send the upstream's `host:port` as `Host`.
    package var sendUpstreamHost: Bool
    package var dialer: Dialer
    package var pools: UpstreamPools
    /// For streaming local files off the event loops.
    package var fileIO: NonBlockingFileIO?

    package init(
        headerTimeout: TimeAmount, idleTimeout: TimeAmount, upstreamTimeout: TimeAmount, tunnelIdleTimeout: TimeAmount,
        maxHeaderSize: Int, maxURISize: Int, maxBody: Int?, scheme: String, sendUpstreamHost: Bool, dialer: Dialer,
        pools: UpstreamPools, fileIO: NonBlockingFileIO?
    ) {
        self.sendUpstreamHost = sendUpstreamHost
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.upstreamTimeout = upstreamTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.maxHeaderSize = maxHeaderSize
        self.maxURISize = maxURISize
        self.maxBody = maxBody
        self.scheme = scheme
        self.dialer = dialer
        self.pools = pools
        self.fileIO = fileIO
    }
}
