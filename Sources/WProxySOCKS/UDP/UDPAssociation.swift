import Logging
import NIOCore
import NIOPosix
import WProxyConfig
import WProxyProtocols

/// The UDP relay of one SOCKS5 UDP ASSOCIATE (RFC 1928 §7).
///
/// Sockets: one facing the client, bound on the address the client reached the proxy on (its address is
/// the BND.ADDR/BND.PORT of the reply), and one outbound socket per family, bound to the wildcard address.
///
/// Guarantees:
/// - Datagrams on the client-facing socket are taken only from the client's IP (the control connection's
///   peer), and only from one port: the DST.PORT of the request if non-zero, else the first datagram's.
/// - A datagram with FRAG ≠ 0, a truncated header, or a destination refused by `--deny-dest` is dropped.
/// - Datagrams arriving on an outbound socket are relayed to the client, with the SOCKS UDP header naming
///   their source, only if they come from an address the client has sent to (no unsolicited traffic).
/// - Nothing is queued beyond a few datagrams waiting for a name lookup; a socket that is not writable
///   drops, as UDP may.
/// - ``close(end:)`` closes every socket once and reports once through `onClose`. It runs when the TCP
///   control connection closes and after `idleTimeout` with no datagram either way.
///
/// Assumes: every method runs on `eventLoop`.
final class UDPAssociation {
    typealias Outcome = (bytesUp: Int, bytesDown: Int, end: String)

    private let eventLoop: any EventLoop
    private let proxy: SOCKSProxy
    private let clientIP: IPAddress
    private var clientPort: Int?
    private var clientAddress: SocketAddress?
    private var clientSide: (any Channel)?
    private var outboundV4: (any Channel)?
    private var outboundV6: (any Channel)?
    private var contacted: Set<SocketAddress> = []
    private var resolved: [String: SocketAddress] = [:]
    private var pendingLookups: [String: [(port: Int, payload: ByteBuffer)]] = [:]
    private var lastActivity: NIODeadline
    private var idleCheck: Scheduled<Void>?
    private var closed = false
    private(set) var bytesUp = 0
    private(set) var bytesDown = 0
    private(set) var dropped = 0
    var onClose: ((Outcome) -> Void)?

    static let maxContacted = 1024
    static let maxResolved = 256
    static let maxPendingPerName = 8
    /// Big enough for any UDP payload plus the SOCKS header.
    static let receiveBufferSize = 65536

    init(eventLoop: any EventLoop, proxy: SOCKSProxy, clientIP: IPAddress, clientPort: Int?) {
        self.eventLoop = eventLoop
        self.proxy = proxy
        self.clientIP = clientIP.unmapped
        self.clientPort = clientPort
        self.lastActivity = .now()
    }

    /// The client-facing socket's address: the reply's BND.ADDR/BND.PORT.
    var boundAddress: SocketAddress? { clientSide?.localAddress }

    /// Binds the three sockets (the IPv6 outbound one is optional: a host without IPv6 still relays IPv4).
    func open(clientFacing address: SocketAddress) -> EventLoopFuture<Void> {
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let bootstrap = { (side: UDPRelayHandler.Side) in
            DatagramBootstrap(group: self.eventLoop)
                .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.receiveBufferSize))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPRelayHandler(side: side, association: loopBound.value))
                    }
                }
        }
        let clientFuture = bootstrap(.client).bind(to: address)
        let v4Future = bootstrap(.remote).bind(host: "0.0.0.0", port: 0)
        let v6Future = bootstrap(.remote).bind(host: "::", port: 0)
            .map { Optional($0) }
            .recover { _ in nil }
        return clientFuture.and(v4Future).and(v6Future).assumeIsolated().flatMapThrowing { channels in
            let ((client, v4), v6) = channels
            self.clientSide = client
            self.outboundV4 = v4
            self.outboundV6 = v6
            if self.closed { self.closeChannels() }
            self.armIdleTimer()
        }.flatMapErrorThrowing { error in
            // Close whichever sockets did bind.
            clientFuture.whenSuccess { $0.close(promise: nil) }
            v4Future.whenSuccess { $0.close(promise: nil) }
            v6Future.whenSuccess { $0?.close(promise: nil) }
            throw error
        }.nonisolated()
    }

    // MARK: Datagrams

    func received(_ envelope: AddressedEnvelope<ByteBuffer>, on side: UDPRelayHandler.Side) {
        guard !closed else { return }
        switch side {
        case .client: fromClient(envelope)
        case .remote: fromRemote(envelope)
        }
    }

    private func fromClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let source = envelope.remoteAddress
        guard source.unmappedIP == clientIP, let port = source.port else { return drop("datagram from a stranger") }
        if let clientPort {
            guard port == clientPort else { return drop("datagram from another port of the client") }
        } else {
            clientPort = port
        }
        if clientAddress == nil { clientAddress = source }
        var buffer = envelope.data
        guard let datagram = try? buffer.readSOCKS5UDPDatagram() else { return drop("malformed SOCKS UDP header") }
        guard datagram.fragment == 0 else { return drop("fragmented datagram (FRAG \(datagram.fragment))") }
        lastActivity = eventLoop.now
        let port16 = Int(datagram.target.port)
        if let ip = datagram.target.host.ipAddress {
            send(datagram.payload, to: ip.unmapped, port: port16)
            return
        }
        guard case .domain(let name) = datagram.target.host else { return }
        if proxy.denyRules.denying(host: name) != nil { return drop("destination \(name) denied") }
        if let address = resolved[name] {
            return send(datagram.payload, to: address, port: port16)
        }
        if var waiting = pendingLookups[name] {
            guard waiting.count < Self.maxPendingPerName else { return drop("too many datagrams waiting for \(name)") }
            waiting.append((port16, datagram.payload))
            pendingLookups[name] = waiting
            return
        }
        pendingLookups[name] = [(port16, datagram.payload)]
        proxy.resolver.resolve(host: name, port: 0, datagram: true, on: eventLoop).assumeIsolated().whenComplete { result in
            let waiting = self.pendingLookups.removeValue(forKey: name) ?? []
            guard !self.closed else { return }
            guard case .success(let addresses) = result, let first = addresses.first else {
                self.dropped += waiting.count
                self.proxy.logger.debug("UDP: cannot resolve \(name)")
                return
            }
            if self.resolved.count >= Self.maxResolved { self.resolved.removeAll(keepingCapacity: true) }
            self.resolved[name] = first
            for (port, payload) in waiting { self.send(payload, to: first, port: port) }
        }
    }

    private func send(_ payload: ByteBuffer, to address: SocketAddress, port: Int) {
        guard let ip = address.unmappedIP else { return drop("no IP") }
        send(payload, to: ip, port: port)
    }

    private func send(_ payload: ByteBuffer, to ip: IPAddress, port: Int) {
        if let rule = proxy.denyRules.denying(ip) { return drop("destination \(ip) denied by \(rule)") }
        guard let destination = ip.socketAddress(port: port) else { return drop("bad destination") }
        let channel: (any Channel)?
        switch ip {
        case .v4: channel = outboundV4
        case .v6: channel = outboundV6
        }
        guard let channel, channel.isWritable else { return drop("no writable socket for \(ip)") }
        if contacted.count >= Self.maxContacted, !contacted.contains(destination) {
            contacted.remove(at: contacted.startIndex)
        }
        contacted.insert(destination)
        bytesUp += payload.readableBytes
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: payload), promise: nil)
    }

    private func fromRemote(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard contacted.contains(envelope.remoteAddress) else { return drop("unsolicited datagram from \(envelope.remoteAddress)") }
        guard let clientAddress, let clientSide, clientSide.isWritable else { return drop("client not writable") }
        lastActivity = eventLoop.now
        let payload = envelope.data
        var wrapped = clientSide.allocator.buffer(capacity: payload.readableBytes + 22)
        wrapped.writeSOCKS5UDPDatagram(SOCKS5UDPDatagram(target: envelope.remoteAddress.socksTarget, payload: payload))
        bytesDown += payload.readableBytes
        clientSide.writeAndFlush(AddressedEnvelope(remoteAddress: clientAddress, data: wrapped), promise: nil)
    }

    private func drop(_ reason: @autoclosure () -> String) {
        dropped += 1
        if proxy.logger.logLevel <= .trace { proxy.logger.trace("UDP datagram dropped: \(reason())") }
    }

    // MARK: Lifetime

    func close(end: String) {
        guard !closed else { return }
        closed = true
        idleCheck?.cancel()
        idleCheck = nil
        closeChannels()
        let onClose = self.onClose
        self.onClose = nil
        onClose?((bytesUp, bytesDown, end))
    }

    private func closeChannels() {
        for channel in [clientSide, outboundV4, outboundV6] { channel?.close(promise: nil) }
        clientSide = nil
        outboundV4 = nil
        outboundV6 = nil
    }

    private func armIdleTimer() {
        guard !closed else { return }
        let timeout = proxy.idleTimeout
        idleCheck = eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + timeout) { [weak self] in
            guard let self else { return }
            if self.eventLoop.now >= self.lastActivity + timeout {
                self.close(end: "idle_timeout")
            } else {
                self.armIdleTimer()
            }
        }
    }
}

/// Hands every datagram of one UDP relay socket to its association.
final class UDPRelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    enum Side { case client, remote }

    private let side: Side
    private let association: UDPAssociation

    init(side: Side, association: UDPAssociation) {
        self.side = side
        self.association = association
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        association.received(unwrapInboundIn(data), on: side)
    }

    /// ICMP errors (port unreachable) surface here on Linux; they end nothing, UDP is best effort.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
