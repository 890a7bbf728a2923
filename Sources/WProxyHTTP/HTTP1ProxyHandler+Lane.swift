#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import WProxyCore
import WProxyDialer

/// What the engine lane hands NIO with a request it leaves to it (see `HTTPLane.toNIO`).
enum LaneHandover {
    /// The upstream the lane chose, with the pooled connection it held for it (nil: NIO connects).
    case chosen(UpstreamPeer, EventLoopFuture<UpstreamConnection>?)
    /// The lane's attempt at this upstream failed (its connect, or a fresh connection reset before
    /// any response byte): NIO goes on as after a failed attempt of its own, answering `status` and
    /// `message` when no retry is left.
    case failed(UpstreamPeer, HTTPResponseStatus, String)

    /// The same, on the engine thread: a pooled socket (-1: none) instead of a channel.
    enum Start: Sendable {
        case chosen(UpstreamPeer, Int32)
        case failed(UpstreamPeer, HTTPResponseStatus, String)

        /// A failed connect, worded as NIO's dialer words it.
        static func dialFailed(_ peer: UpstreamPeer, _ kind: DialError.Kind) -> Start {
            .failed(peer, kind == .timedOut ? .gatewayTimeout : .badGateway, "upstream \(peer.name) failed: \(kind.rawValue)")
        }
    }
}

extension HTTP1ProxyHandler {
    /// `WPROXY_HTTP_LANE=off` in the environment keeps every connection in NIO (for comparison,
    /// and as an escape hatch), as `WPROXY_RELAY=nio` does for tunnels.
    package static let laneEnabled: Bool = {
        #if os(Linux)
        if let setting = getenv("WPROXY_HTTP_LANE"), String(cString: setting) == "off" { return false }
        return TunnelEngine.shared != nil
        #else
        return false
        #endif
    }()

    /// A connection the lane handed to NIO this often stays in NIO: its client keeps sending what
    /// the lane does not serve (bodies, HTTP/1.0...), and each trip costs a channel.
    static let maxLaneBounces = 3

    /// After a clean exchange on a plain socket: moves the connection, with its upstream socket,
    /// to the engine lane (`HTTPLane`), which serves the following requests without NIO. True
    /// when it moved (the channel is closing; the request is logged); false, with nothing
    /// changed, when this connection stays here (see `HTTPLane` for what the lane serves).
    func moveToLane(_ connection: UpstreamConnection) -> Bool {
        guard Self.laneEnabled, laneBounces < Self.maxLaneBounces, let parking, phases.allowsLane, case .streamingResponse = phase,
            requestEnded, !isUpgrade, !requestIsHTTP10, clientKeepAlive, !closeAfterResponse, !quiescing, !clientEOF,
            pendingHead == nil, inbound?.readableBytes ?? 0 == 0,
            connection.canBeReused, connection.isActive, let peer, peer.security == nil
        else { return false }
        flushClient()
        // Closing the channel below runs channelInactive at once: it must see a finished exchange.
        phase = .closed
        let (settings, phases, clientAddress, clientIP, peerID) = (LaneSettings(settings), phases, clientAddress, clientIP, connection.peerID)
        let bounces = laneBounces
        let moved = parking.drive(context.channel, upstream: connection.channel) { handoff in
            HTTPLane(
                handoff: handoff, upstreamPeerID: peerID, settings: settings, phases: phases,
                clientAddress: clientAddress, clientIP: clientIP, fresh: false, bounces: bounces)
        }
        guard moved else {
            phase = .streamingResponse
            return false
        }
        connection.close()  // its socket lives on in the lane's pool
        if assigned {
            assigned = false
            phases.requestAssigned(peer, active: false)
        }
        finishLog()
        clientDirect?.close()
        clientDirect = nil
        timer?.cancel()
        timer = nil
        return true
    }
}
