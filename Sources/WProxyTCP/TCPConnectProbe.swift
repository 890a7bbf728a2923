import NIOCore
import WProxyConfig
import WProxyDialer
import WProxyLoadBalancing

/// `--health-check tcp`: an upstream is healthy when a TCP connect to it succeeds within the connect timeout.
struct TCPConnectProbe: HealthProbe {
    let group: UpstreamGroup
    let dialer: Dialer
    let eventLoopGroup: any EventLoopGroup

    func probe(_ backend: Backend) async -> Bool {
        let address = group.endpoints[backend.id].address
        do {
            let channel = try await dialer.connect(host: address.host, port: address.port, on: eventLoopGroup.next()).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
