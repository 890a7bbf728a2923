import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyProtocols

/// Handles one client connection of `wproxy socks` until it is a tunnel: feeds the client's bytes to a
/// ``SOCKSServerStateMachine``, carries out what it asks (check credentials, apply the ACLs, dial, bind,
/// associate), then hands the client and the peer to `Relay.join` and removes itself. For UDP ASSOCIATE
/// it stays, watching the control connection whose close ends the association.
///
/// Guarantees:
/// - Protocol decisions are the state machine's; this class only does I/O and policy (ACLs, dialing).
/// - A handshake that has not produced a request within `--handshake-timeout` is closed.
/// - Exactly one access-log line per session that reached a request, whatever the outcome.
/// - Nothing a client sends can trap: every failure is a reply code and a close of this connection only.
///
/// Assumes: added to a channel with `autoRead` off (reads are requested here, one at a time, until the
/// relay takes over) and `allowRemoteHalfClosure` on.
final class SOCKSFrontHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase {
        /// Reading the greeting, credentials and request.
        case handshake
        /// The request arrived: checking ACLs, resolving, dialing, binding or opening the UDP relay.
        case working
        /// BIND: the first reply went out; waiting for the peer to connect.
        case bindWaiting
        /// UDP ASSOCIATE: the relay runs; the control connection is only watched.
        case udp(UDPAssociation)
        /// Handed to `Relay.join`; the handler is gone from the pipeline.
        case relaying
        case closed
    }

    let proxy: SOCKSProxy
    var machine: SOCKSServerStateMachine
    var phase: Phase = .handshake
    var context: ChannelHandlerContext?
    var record = SOCKSSessionRecord(clientAddress: nil, started: .uptimeNanoseconds(0))
    private var started = false
    private var logged = false
    var clientAllowed = true
    /// The client shut its write side before the tunnel started: pass the EOF on once it has.
    var clientSentEOF = false
    private var handshakeTimer: Scheduled<Void>?
    var bindServer: (any Channel)?
    var bindTimer: Scheduled<Void>?
    var bindExpectedPeer: IPAddress?

    let handoff: TunnelHandoff?

    /// A handshake begun in the tunnel engine (`SOCKSEngineSession`) that this handler finishes:
    /// the state reached there and the state machine's action this handler carries out first.
    struct Resumed: Sendable {
        let machine: SOCKSServerStateMachine
        let record: SOCKSSessionRecord
        let clientAllowed: Bool
        let action: SOCKSServerStateMachine.Action
    }
    private var resumed: Resumed?

    init(proxy: SOCKSProxy, handoff: TunnelHandoff?) {
        self.proxy = proxy
        self.handoff = handoff
        self.machine = SOCKSServerStateMachine(configuration: proxy.machineConfiguration)
    }

    convenience init(proxy: SOCKSProxy, handoff: TunnelHandoff?, resuming: Resumed) {
        self.init(proxy: proxy, handoff: handoff)
        self.machine = resuming.machine
        self.resumed = resuming
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let resumed {
            self.resumed = nil
            record = resumed.record
            clientAllowed = resumed.clientAllowed
            handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: proxy.handshakeTimeout) { [weak self] in
                self?.handshakeTimedOut()
            }
            perform(resumed.action)
            return
        }
        let remote = context.channel.remoteAddress
        record = SOCKSSessionRecord(clientAddress: remote, started: .now())
        clientAllowed = proxy.options.allow.isEmpty || proxy.options.allowsClient(remote?.ipAddress)
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: proxy.handshakeTimeout) { [weak self] in
            self?.handshakeTimedOut()
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .handshake, .working, .bindWaiting, .udp:
            perform(machine.receivedBytes(unwrapInboundIn(data)))
        case .relaying, .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, case .inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch phase {
        case .handshake:
            proxy.logger.debug("client closed during the SOCKS handshake", metadata: ["client": "\(record.clientAddress.map { "\($0)" } ?? "?")"])
            closeConnection()
        case .working:
            clientSentEOF = true
        case .bindWaiting:
            // Nothing can come of a BIND whose client has stopped talking: it would only hold a port.
            finish(end: "client_closed")
            closeConnection()
        case .udp(let association):
            association.close(end: "closed")
        case .relaying, .closed:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .handshake:
            phase = .closed
            cancelTimers()
        case .working:
            // The dial or bind in progress sees the closed client when it completes.
            break
        case .bindWaiting:
            finish(end: "client_closed")
            closeConnection()
        case .udp(let association):
            association.close(end: "closed")
        case .relaying, .closed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        proxy.logger.debug("client connection error: \(error)")
        switch phase {
        case .udp(let association):
            association.close(end: "error")
        case .working, .bindWaiting:
            finish(end: "client_error")
            closeConnection()
        case .handshake, .relaying, .closed:
            closeConnection()
        }
    }

    // MARK: Carrying out the state machine's actions

    func perform(_ action: SOCKSServerStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .needMore(let reply):
            if let reply { context.writeAndFlush(wrapOutboundOut(reply), promise: nil) }
            context.read()
        case .verifyCredentials(let user, let password, let reply):
            if let reply { context.write(wrapOutboundOut(reply), promise: nil) }
            record.user = user
            let ok = proxy.verify(user: user, password: password)
            if !ok {
                proxy.logger.debug("wrong user name or password", metadata: ["client": "\(Listener.format(record.clientAddress))", "user": "\(user)"])
            }
            perform(machine.credentialsVerified(ok: ok))
        case .request(let request, let reply):
            if let reply { context.writeAndFlush(wrapOutboundOut(reply), promise: nil) }
            handshakeTimer?.cancel()
            handshakeTimer = nil
            // Keep a read pending while the request is carried out: the state machine keeps early data
            // (bounded), a client that leaves is noticed, and NIO need not drop and re-add read interest
            // (two epoll_ctl calls) before the relay starts reading.
            context.read()
            handle(request)
        case .sendBytes(let bytes):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        case .established:
            // Only produced by requestSucceeded/bindAccepted, whose callers handle it.
            assertionFailure("unexpected .established from receivedBytes")
            closeConnection()
        case .forward:
            // Bytes on a UDP ASSOCIATE control connection mean nothing: drop them and keep watching.
            context.read()
        case .replyAndClose(let bytes):
            if case .handshake = phase { noteHandshakeRejection(bytes) }
            finish(end: "rejected")
            let channel = context.channel
            phase = .closed
            cancelTimers()
            context.writeAndFlush(wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
                channel.close(promise: nil)
            }
        case .close:
            switch phase {
            case .working, .bindWaiting: finish(end: "rejected")  // e.g. too much early data
            case .handshake, .udp, .relaying, .closed: break
            }
            closeConnection()
        }
    }

    /// A request that failed parsing (unknown command 0x07, unknown address type 0x08) still reached the
    /// point of choosing a destination: take its reply code for the log line.
    private func noteHandshakeRejection(_ reply: ByteBuffer) {
        let bytes = reply.readableBytesView
        // A SOCKS5 failure reply is the last 10 bytes (VER REP RSV ATYP=1 0.0.0.0:0); a pipelined
        // greeting's method selection (and an RFC 1929 status) may come before it.
        if bytes.count >= 10, bytes[bytes.endIndex - 10] == 0x05, bytes[bytes.endIndex - 7] == 0x01 {
            record.version = .v5
            record.reply = bytes[bytes.endIndex - 9]
        } else if bytes.count == 8, bytes.first == 0x00 {
            record.version = .v4
            record.reply = bytes[bytes.startIndex + 1]
        } else {
            logged = true  // a greeting or authentication failure: no request, no line
            proxy.logger.debug("SOCKS handshake rejected", metadata: ["client": "\(Listener.format(record.clientAddress))"])
        }
    }

    private func handle(_ request: SOCKSRequest) {
        phase = .working
        record.noteRequest(request)
        guard clientAllowed else {
            proxy.logger.debug("client not in --allow", metadata: ["client": "\(Listener.format(record.clientAddress))"])
            fail(.notAllowedByRuleset, end: "client_denied")
            return
        }
        switch request.command {
        case .connect: connect(request)
        case .bind: bind(request)
        case .udpAssociate: associate(request)
        case .other: fail(.commandNotSupported, end: "rejected")
        }
    }

    /// The request failed: log, reply with `code` (`0x5B` for SOCKS4) and close.
    func fail(_ code: SOCKS5ReplyCode, end: String) {
        record.noteReply(code == .succeeded ? .generalFailure : code)
        finish(end: end)
        perform(machine.requestFailed(code: code))
    }

    func denied(_ rule: DestinationRule) {
        proxy.logger.debug("destination denied by --deny-dest \(rule)", metadata: ["destination": "\(record.destination)"])
        fail(.notAllowedByRuleset, end: "dest_denied")
    }

    /// Writes the access-log line unless one was written already.
    func finish(end: String) {
        guard !logged else { return }
        logged = true
        proxy.accessLog?.log(record.fields(end: end))
    }

    func closeConnection() {
        phase = .closed
        cancelTimers()
        bindServer?.close(promise: nil)
        bindServer = nil
        context?.close(promise: nil)
    }

    private func cancelTimers() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        bindTimer?.cancel()
        bindTimer = nil
    }

    private func handshakeTimedOut() {
        guard case .handshake = phase else { return }
        proxy.logger.debug("SOCKS handshake timed out", metadata: ["client": "\(Listener.format(record.clientAddress))"])
        closeConnection()
    }

    /// True while a dial or bind completing now can still be used.
    var clientStillWaiting: Bool {
        guard let context, context.channel.isActive else { return false }
        switch phase {
        case .working, .bindWaiting: return true
        case .handshake, .udp, .relaying, .closed: return false
        }
    }

    /// Sends the success reply, removes this handler and joins `client` and `peer` in a relay.
    func startRelay(with peer: any Channel, reply: ByteBuffer, leftover: ByteBuffer?) {
        guard let context else {
            peer.close(promise: nil)
            return
        }
        phase = .relaying
        cancelTimers()
        let client = context.channel
        try? peer.syncOptions?.setOption(ChannelOptions.recvAllocator, value: SOCKSProxy.receiveAllocator)
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        self.context = nil
        logged = true
        let accessLog = proxy.accessLog
        let onFinish: (RelayResult) -> Void
        if let accessLog {
            var record = self.record
            onFinish = { result in
                record.bytesUp = result.bytesUp
                record.bytesDown = result.bytesDown
                accessLog.log(record.fields(end: result.end.rawValue))
            }
        } else {
            onFinish = { _ in }  // nothing kept per tunnel when there is no access log
        }
        do {
            try Relay.join(
                client: client, upstream: peer, initialUpstreamData: leftover.map { [$0] } ?? [],
                clientSentEOF: clientSentEOF, idleTimeout: proxy.idleTimeout, handoff: handoff, onFinish: onFinish)
        } catch {
            proxy.logger.debug("relay setup failed: \(error)")
            accessLog?.log(record.fields(end: "error"))
            client.close(promise: nil)
            peer.close(promise: nil)
            return
        }
    }
}
