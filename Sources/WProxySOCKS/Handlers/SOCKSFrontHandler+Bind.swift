import Logging
import NIOCore
import NIOPosix
import WProxyConfig
import WProxyCore
import WProxyProtocols

/// BIND (SOCKS5 and SOCKS4): listen on the address the client reached us on, send the first reply with
/// that address and port, accept one peer, send the second reply with the peer's address, then relay.
///
/// When DST.ADDR is a non-zero IP, only a peer from that IP is accepted (others are closed and the wait
/// goes on), as RFC 1928 intends; `0.0.0.0`, `::` or a domain accept any peer. The wait is bounded by the
/// tunnel idle timeout and ends with reply `0x06` (`0x5B` for SOCKS4).
extension SOCKSFrontHandler {
    func bind(_ request: SOCKSRequest) {
        guard let context else { return }
        let rules = proxy.denyRules
        if let ip = request.target.host.ipAddress {
            if let rule = rules.denying(ip) { return denied(rule) }
            bindExpectedPeer = ip.isUnspecified ? nil : ip.unmapped
        } else if case .domain(let name) = request.target.host, let rule = rules.denying(host: name) {
            return denied(rule)
        }
        guard let local = context.channel.localAddress?.unmapped, let ip = local.unmappedIP,
            let listenAddress = ip.socketAddress(port: 0)
        else {
            return fail(.generalFailure, end: "bind_failed")
        }
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.backlog, value: 4)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(BindPeerHandler { peer in
                        handler.value.bindPeerArrived(peer)
                    })
                }
            }
            .bind(to: listenAddress)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let server):
                    self.bindListening(server)
                case .failure(let error):
                    guard self.clientStillWaiting else { return self.abandoned(nil) }
                    self.proxy.logger.debug("BIND could not listen on \(listenAddress): \(error)")
                    self.fail(.generalFailure, end: "bind_failed")
                }
            }
    }

    private func bindListening(_ server: any Channel) {
        guard clientStillWaiting, let context, let address = server.localAddress else {
            server.close(promise: nil)
            return abandoned(nil)
        }
        guard case .sendBytes(let reply) = machine.bindListening(address: address.socksTarget) else {
            server.close(promise: nil)
            return closeConnection()
        }
        bindServer = server
        record.noteReply(.succeeded)
        phase = .bindWaiting
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        bindTimer = context.eventLoop.assumeIsolated().scheduleTask(in: proxy.idleTimeout) { [weak self] in
            guard let self, case .bindWaiting = self.phase else { return }
            self.bindServer?.close(promise: nil)
            self.bindServer = nil
            self.fail(.ttlExpired, end: "bind_timeout")
        }
        // Keep reading the control connection: its close ends the wait; early data is kept for the peer.
        context.read()
    }

    /// A peer connected to the BIND socket (runs on our event loop: the server was bound on it).
    func bindPeerArrived(_ peer: any Channel) {
        guard case .bindWaiting = phase, clientStillWaiting else { return peer.close(promise: nil) }
        if let expected = bindExpectedPeer, peer.remoteAddress?.unmappedIP != expected {
            proxy.logger.debug("BIND: refused peer \(Listener.format(peer.remoteAddress)), expected \(expected)")
            return peer.close(promise: nil)
        }
        bindServer?.close(promise: nil)
        bindServer = nil
        let from = peer.remoteAddress?.socksTarget ?? .unspecifiedIPv4
        guard case .established(let reply, let leftover) = machine.bindAccepted(peer: from) else {
            peer.close(promise: nil)
            return closeConnection()
        }
        record.noteReply(.succeeded)
        startRelay(with: peer, reply: reply, leftover: leftover)
    }
}

/// Sits on a connection accepted by a BIND socket until it is active, then hands it over and leaves.
final class BindPeerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var onActive: ((any Channel) -> Void)?

    init(onActive: @escaping (any Channel) -> Void) {
        self.onActive = onActive
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { handOver(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        handOver(context)
    }

    private func handOver(_ context: ChannelHandlerContext) {
        guard let onActive else { return }
        self.onActive = nil
        let channel = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        onActive(channel)
    }
}
