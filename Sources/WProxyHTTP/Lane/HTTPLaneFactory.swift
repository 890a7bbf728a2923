import NIOCore
import WProxyCore

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

/// A listener's `HTTPEngineSettings`, shared by its lanes.
package final class LaneSettings: Sendable {
    let engine: HTTPEngineSettings

    package init(_ engine: HTTPEngineSettings) {
        self.engine = engine
    }
}
