import Logging
import NIOCore
import WProxyConfig
import WProxyDialer
import WProxyProtocols

/// CONNECT (SOCKS5 and SOCKS4/4a): ACL, resolve when CIDR rules need the addresses, dial, reply, relay.
extension SOCKSFrontHandler {
    func connect(_ request: SOCKSRequest) {
        guard let context else { return }
        let eventLoop = context.eventLoop
        let port = Int(request.target.port)
        let rules = proxy.denyRules
        if let ip = request.target.host.ipAddress {
            if let rule = rules.denying(ip) { return denied(rule) }
            guard let address = ip.unmapped.socketAddress(port: port) else {
                return fail(.addressTypeNotSupported, end: "rejected")
            }
            dial([address], index: 0, lastError: nil)
            return
        }
        guard case .domain(let name) = request.target.host else { return }
        if let rule = rules.denying(host: name) { return denied(rule) }
        guard rules.hasNetworkRules else {
            // No address rules: let the Dialer resolve (off the loop) and race IPv6/IPv4.
            proxy.dialer.connect(host: name, port: port, on: eventLoop).assumeIsolated().whenComplete { result in
                self.dialed(result)
            }
            return
        }
        // CIDR rules must see the addresses, and we dial exactly those (no second lookup to rebind).
        proxy.resolver.resolve(host: name, port: port, on: eventLoop).assumeIsolated().whenComplete { result in
            guard self.clientStillWaiting else { return self.abandoned(nil) }
            switch result {
            case .success(let addresses):
                for address in addresses {
                    if let ip = address.unmappedIP, let rule = rules.denying(ip) { return self.denied(rule) }
                }
                self.dial(addresses, index: 0, lastError: nil)
            case .failure(let error):
                self.dialed(.failure(error))
            }
        }
    }

    /// Tries `addresses` in order until one connects; reports the most telling failure otherwise.
    private func dial(_ addresses: [SocketAddress], index: Int, lastError: DialError?) {
        guard let context, index < addresses.count else {
            return dialed(.failure(lastError ?? DialError(kind: .other, target: record.destination, detail: "no address")))
        }
        proxy.dialer.connect(to: addresses[index].unmapped, on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                self.dialed(result)
            case .failure(let error):
                let dialError = DialError(target: self.record.destination, classifying: error)
                guard index + 1 < addresses.count, self.clientStillWaiting else { return self.dialed(.failure(dialError)) }
                self.dial(addresses, index: index + 1, lastError: Self.moreTelling(lastError, dialError))
            }
        }
    }

    private static func moreTelling(_ old: DialError?, _ new: DialError) -> DialError {
        guard let old else { return new }
        let order: [DialError.Kind] = [.refused, .timedOut, .hostUnreachable, .networkUnreachable, .dnsFailure, .other]
        return (order.firstIndex(of: old.kind) ?? 99) <= (order.firstIndex(of: new.kind) ?? 99) ? old : new
    }

    private func dialed(_ result: Result<any Channel, any Error>) {
        guard clientStillWaiting else {
            if case .success(let upstream) = result { upstream.close(promise: nil) }
            return abandoned(nil)
        }
        switch result {
        case .success(let upstream):
            let bound = upstream.localAddress?.socksTarget ?? .unspecifiedIPv4
            guard case .established(let reply, let leftover) = machine.requestSucceeded(boundAddress: bound) else {
                upstream.close(promise: nil)
                return closeConnection()
            }
            record.noteReply(.succeeded)
            startRelay(with: upstream, reply: reply, leftover: leftover)
        case .failure(let error):
            let code = SOCKS5ReplyCode(failure: error)
            proxy.logger.debug("connect to \(record.destination) failed: \(error)")
            fail(code, end: "dial_failed")
        }
    }

    /// The client went away while we worked on its request.
    func abandoned(_ peer: (any Channel)?) {
        peer?.close(promise: nil)
        switch phase {
        case .working, .bindWaiting:
            finish(end: "client_closed")
            closeConnection()
        case .handshake, .udp, .relaying, .closed:
            break
        }
    }
}
