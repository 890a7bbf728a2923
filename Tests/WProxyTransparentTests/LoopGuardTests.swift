import Testing
import WProxyConfig

@testable import WProxyTransparent

@Suite struct LoopGuardTests {
    let listener = IPEndpoint(ip: "127.0.0.1", port: 12345)

    @Test func redirectedConnectionIsNotALoop() {
        let guardian = LoopGuard(listeners: [listener], tproxy: false)
        #expect(!guardian.isLoop(
            destination: IPEndpoint(ip: "10.0.0.2", port: 80), acceptedLocal: listener, acceptingListener: listener,
            isLocalAddress: { _ in false }))
    }

    @Test func directConnectionToTheListenerIsALoop() {
        let guardian = LoopGuard(listeners: [], tproxy: false)
        // No NAT record: the destination falls back to the accepted socket's own address.
        #expect(guardian.isLoop(
            destination: listener, acceptedLocal: listener, acceptingListener: nil, isLocalAddress: { _ in false }))
    }

    @Test func destinationEqualToAnotherListenerIsALoop() {
        let other = IPEndpoint(ip: "10.1.1.1", port: 3000)
        let guardian = LoopGuard(listeners: [listener, other], tproxy: false)
        #expect(guardian.isLoop(
            destination: other, acceptedLocal: listener, acceptingListener: listener, isLocalAddress: { _ in false }))
    }

    @Test func tproxyDestinationIsTheLocalAddressAndNotALoop() {
        let guardian = LoopGuard(listeners: [listener], tproxy: true)
        let destination = IPEndpoint(ip: "10.0.0.2", port: 80)
        #expect(!guardian.isLoop(
            destination: destination, acceptedLocal: destination, acceptingListener: listener,
            isLocalAddress: { _ in false }))
    }

    @Test func wildcardListenerCatchesLocalAddressesOnItsPortOnly() {
        let wildcard = IPEndpoint(ip: "0.0.0.0", port: 12345)
        let guardian = LoopGuard(listeners: [wildcard], tproxy: true)
        let local: (String) -> Bool = { $0 == "10.9.9.9" }
        #expect(guardian.isLoop(
            destination: IPEndpoint(ip: "10.9.9.9", port: 12345), acceptedLocal: nil, acceptingListener: nil,
            isLocalAddress: local))
        #expect(guardian.isLoop(
            destination: IPEndpoint(ip: "127.0.0.5", port: 12345), acceptedLocal: nil, acceptingListener: nil,
            isLocalAddress: local))
        #expect(!guardian.isLoop(
            destination: IPEndpoint(ip: "10.8.8.8", port: 12345), acceptedLocal: nil, acceptingListener: nil,
            isLocalAddress: local))
        #expect(!guardian.isLoop(
            destination: IPEndpoint(ip: "10.9.9.9", port: 80), acceptedLocal: nil, acceptingListener: nil,
            isLocalAddress: local))
    }

    @Test func ipv4MappedAddressesCompareAsIPv4() {
        #expect(IPEndpoint(ip: "::ffff:127.0.0.1", port: 1) == IPEndpoint(ip: "127.0.0.1", port: 1))
        #expect(IPEndpoint(ip: "::ffff:127.0.0.1", port: 1).description == "127.0.0.1:1")
        #expect(IPEndpoint(ip: "fd00::1", port: 80).description == "[fd00::1]:80")
        let guardian = LoopGuard(listeners: [], tproxy: false)
        #expect(guardian.isLoop(
            destination: IPEndpoint(ip: "127.0.0.1", port: 12345),
            acceptedLocal: IPEndpoint(ip: "::ffff:127.0.0.1", port: 12345), acceptingListener: nil,
            isLocalAddress: { _ in false }))
    }

    @Test func knownListenerEndpointsSkipPortZeroAndNames() throws {
        let addresses: [ListenAddress] = [
            ListenAddress(host: "127.0.0.1", port: 12345), ListenAddress(host: nil, port: 8080),
            ListenAddress(host: "127.0.0.1", port: 0), ListenAddress(host: "proxy.example", port: 9),
            ListenAddress(host: "::1", port: 7),
        ]
        let expected: [IPEndpoint] = [
            IPEndpoint(ip: "127.0.0.1", port: 12345), IPEndpoint(ip: "0.0.0.0", port: 8080),
            IPEndpoint(ip: "::", port: 8080), IPEndpoint(ip: "::1", port: 7),
        ]
        #expect(TransparentProxy.knownListenerEndpoints(addresses) == expected)
    }
}
