/// Decides whether a connection's destination is this proxy itself, which would make it dial
/// its own listener again and again until file descriptors run out.
///
/// A destination is a loop when
/// - with `REDIRECT`, it equals the accepted socket's local address: nothing rewrote the
///   destination, so the client connected to the listener directly;
/// - it equals one of the listener addresses (same IP and port);
/// - a wildcard listener (`0.0.0.0`, `::`) has its port and the IP is loopback or one of this
///   host's addresses (`isLocalAddress`, asked only in that case because it lists interfaces).
package struct LoopGuard: Sendable {
    /// Listener addresses known up front (from the configuration, ports other than 0).
    package let listeners: [IPEndpoint]
    package let tproxy: Bool

    package init(listeners: [IPEndpoint], tproxy: Bool) {
        self.listeners = listeners
        self.tproxy = tproxy
    }

    package func isLoop(
        destination: IPEndpoint, acceptedLocal: IPEndpoint?, acceptingListener: IPEndpoint?,
        isLocalAddress: (String) -> Bool
    ) -> Bool {
        if !tproxy, let acceptedLocal, destination == acceptedLocal { return true }
        for listener in listeners + [acceptingListener].compactMap({ $0 }) where listener.port == destination.port {
            if listener.ip == destination.ip { return true }
            if listener.isUnspecified && (destination.isLoopback || isLocalAddress(destination.ip)) { return true }
        }
        return false
    }
}
