import NIOCore
import WProxyCore
import WProxyDialer

/// Starts connections the engine accepted on a plain-HTTP reverse listener in the lane.
package struct HTTPLaneFactory: EngineDriverFactory {
    let settings: LaneSettings
    let phases: any ProxyPhases

    package init(settings: LaneSettings, phases: any ProxyPhases) {
        self.settings = settings
        self.phases = phases
    }

    package func makeDriver(_ handoff: DriveHandoff, client: SocketAddress?) -> any EngineDriver {
        HTTPLane(
            handoff: handoff, upstreamPeerID: 0, settings: settings, phases: phases, clientAddress: client,
            clientIP: client?.ipAddress, fresh: true)
    }
}

/// What the lanes of a listener need from its `HTTPEngineSettings`, read once (timeouts in engine
/// milliseconds) and shared: one reference per lane, and no struct copies on the hot path.
package final class LaneSettings: Sendable {
    let headerTimeoutMS: UInt64
    let idleTimeoutMS: UInt64
    let upstreamTimeout: TimeAmount
    let connectTimeoutMS: UInt64
    /// No `--upstream-proxy`: the lane may connect to IP upstreams itself.
    let connectsDirectly: Bool
    let maxHeaderSize: Int
    let maxURISize: Int
    let scheme: String
    let sendUpstreamHost: Bool
    let pools: UpstreamPools

    package init(_ engine: HTTPEngineSettings) {
        headerTimeoutMS = ChannelDescriptor.milliseconds(engine.headerTimeout)
        idleTimeoutMS = ChannelDescriptor.milliseconds(engine.idleTimeout)
        upstreamTimeout = engine.upstreamTimeout
        connectTimeoutMS = ChannelDescriptor.milliseconds(engine.dialer.connectTimeout)
        connectsDirectly = engine.dialer.hops.isEmpty
        maxHeaderSize = engine.maxHeaderSize
        maxURISize = engine.maxURISize
        scheme = engine.scheme
        sendUpstreamHost = engine.sendUpstreamHost
        pools = engine.pools
    }
}
