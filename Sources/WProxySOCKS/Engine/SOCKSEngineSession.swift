import Logging
import NIOCore
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyProtocols

/// A SOCKS handshake on a tunnel-engine thread, for a client the engine accepted (see
/// `EngineSessionHandler`). It does the common case itself: greeting, RFC 1929 credentials, and a
/// CONNECT to an IP address that the ACLs allow, dialed directly (no `--upstream-proxy`). Anything
/// else (names to resolve, BIND, UDP ASSOCIATE, chains, a denied or malformed request) moves to a
/// `SOCKSFrontHandler` with the state machine and record as they are, which carries on exactly as
/// if it had read those bytes itself.
final class SOCKSEngineSession: EngineSessionHandler {
    private let proxy: SOCKSProxy
    private var machine: SOCKSServerStateMachine
    private var record: SOCKSSessionRecord
    private let clientAllowed: Bool

    init(proxy: SOCKSProxy, client: SocketAddress?) {
        self.proxy = proxy
        self.machine = SOCKSServerStateMachine(configuration: proxy.machineConfiguration)
        self.record = SOCKSSessionRecord(clientAddress: client, started: .now())
        self.clientAllowed = proxy.options.allow.isEmpty || proxy.options.allowsClient(client?.ipAddress)
    }

    func received(_ bytes: UnsafeRawBufferPointer) -> EngineSessionStep {
        var pending: [UInt8] = []
        var action = machine.receivedBytes(ByteBuffer(bytes: bytes))
        while true {
            switch action {
            case .needMore(let reply):
                Self.append(reply, to: &pending)
                return .wait(reply: pending)
            case .verifyCredentials(let user, let password, let reply):
                Self.append(reply, to: &pending)
                record.user = user
                let ok = proxy.verify(user: user, password: password)
                if !ok {
                    proxy.logger.debug("wrong user name or password", metadata: ["client": "\(Listener.format(record.clientAddress))", "user": "\(user)"])
                }
                action = machine.credentialsVerified(ok: ok)
            case .request(let request, let reply):
                Self.append(reply, to: &pending)
                if let step = connectDirect(request, pending: pending) { return step }
                return moveToNIO(.request(request, reply: nil), reply: pending)
            case .close:
                return .close(reply: pending)  // a handshake that breaks the protocol: no log line
            case .replyAndClose, .sendBytes, .established, .forward:
                return moveToNIO(action, reply: pending)
            }
        }
    }

    func ended(_ why: EngineSessionEnd) {
        let message: Logger.Message
        switch why {
        case .clientClosed: message = "client closed during the SOCKS handshake"
        case .clientError: message = "client connection error during the SOCKS handshake"
        case .timedOut: message = "SOCKS handshake timed out"
        }
        proxy.logger.debug(message, metadata: ["client": "\(Listener.format(record.clientAddress))"])
    }

    /// The fast path: CONNECT to an allowed IP address, direct. Nil when the request is anything else.
    private func connectDirect(_ request: SOCKSRequest, pending: [UInt8]) -> EngineSessionStep? {
        guard clientAllowed, request.command == .connect, proxy.dialer.hops.isEmpty,
              let ip = request.target.host.ipAddress, proxy.denyRules.denying(ip) == nil,
              let address = ip.unmapped.socketAddress(port: Int(request.target.port)),
              let started = EngineConnect.start(to: address)
        else { return nil }
        record.noteRequest(request)
        switch started {
        case .failed(let errno):
            let error = DialError(target: record.destination, errno: errno)
            proxy.logger.debug("connect to \(record.destination) failed: \(error)")
            let code = SOCKS5ReplyCode(dialError: error)
            record.noteReply(code)
            proxy.accessLog?.log(record.fields(end: "dial_failed"))
            guard case .replyAndClose(let reply) = machine.requestFailed(code: code) else { return .close(reply: pending) }
            return .close(reply: pending + Array(reply.readableBytesView))
        case .started(let fd, let local):
            guard case .established(let reply, let leftover) = machine.requestSucceeded(
                boundAddress: local?.socksTarget ?? .unspecifiedIPv4)
            else {
                EngineConnect.abandon(fd)
                return .close(reply: pending)
            }
            record.noteReply(.succeeded)
            let version = request.version
            return .tunnel(EngineTunnelStart(
                upstreamFD: fd, connectTimeout: proxy.dialer.connectTimeout,
                successReply: pending + Array(reply.readableBytesView),
                failureReply: { errno in
                    let code = SOCKS5ReplyCode(dialError: DialError(target: "", errno: errno))
                    return pending + Array(SOCKSServerStateMachine.failureReply(version, code: code).readableBytesView)
                },
                upstreamFirst: leftover.map { Array($0.readableBytesView) } ?? [],
                idleTimeout: proxy.idleTimeout,
                onFinish: Self.tunnelFinished(record: record, proxy: proxy)))
        }
    }

    /// The access-log line of an engine tunnel: as for any tunnel, or, when the connect failed, the
    /// failure's reply code with `end=dial_failed` (as a dial in NIO logs it). Runs on the engine thread.
    private static func tunnelFinished(record: SOCKSSessionRecord, proxy: SOCKSProxy) -> @Sendable (RelayResult) -> Void {
        let (accessLog, logger) = (proxy.accessLog, proxy.logger)
        guard let accessLog else {
            // Nothing kept per tunnel but the destination (for the debug line of a failed connect).
            let target = record.target
            return { result in
                guard result.connectError != 0 else { return }
                let destination = target?.description ?? "-"
                logger.debug("connect to \(destination) failed: \(DialError(target: destination, errno: result.connectError))")
            }
        }
        return { result in
            var record = record
            guard result.connectError == 0 else {
                let error = DialError(target: record.destination, errno: result.connectError)
                logger.debug("connect to \(record.destination) failed: \(error)")
                record.noteReply(SOCKS5ReplyCode(dialError: error))
                accessLog.log(record.fields(end: "dial_failed"))
                return
            }
            record.bytesUp = result.bytesUp
            record.bytesDown = result.bytesDown
            accessLog.log(record.fields(end: result.end.rawValue))
        }
    }

    private func moveToNIO(_ action: SOCKSServerStateMachine.Action, reply: [UInt8]) -> EngineSessionStep {
        let resumed = SOCKSFrontHandler.Resumed(
            machine: machine, record: record, clientAllowed: clientAllowed, action: action)
        let proxy = self.proxy
        return .moveToNIO(reply: reply) { channel, handoff in
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: SOCKSProxy.receiveAllocator)
            try channel.pipeline.syncOperations.addHandler(
                SOCKSFrontHandler(proxy: proxy, handoff: handoff, resuming: resumed))
        }
    }

    private static func append(_ reply: ByteBuffer?, to pending: inout [UInt8]) {
        guard let reply, reply.readableBytes > 0 else { return }
        pending.append(contentsOf: reply.readableBytesView)
    }
}
