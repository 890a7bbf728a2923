import Logging
import NIOCore
import NIOHTTP1
import WProxyConfig
import WProxyCore
import WProxyDialer
import WProxyHTTP
import WProxyProtocols

extension ForwardHandler {
    // MARK: - CONNECT

    func startConnect(_ head: HTTPRequestHead) {
        let host: String
        let port: Int
        do {
            guard case .authority(let parsedHost, let parsedPort) = try RequestTarget(parsing: head.uri, isConnect: true) else {
                return reject(.badRequest, "wproxy: CONNECT needs host:port")
            }
            (host, port) = (parsedHost, parsedPort)
        } catch {
            return reject(.badRequest, "wproxy: bad CONNECT target: \(error)")
        }
        originHost = host
        originPort = port
        originKey = HostPortText.format(host: host, port: port)
        if !proxy.denyDest.isEmpty, let rule = proxy.denyDest.denying(host: host) {
            return reject(.forbidden, "wproxy: destination \(originKey) is denied (--deny-dest \(rule))")
        }
        state = .connecting
        if let context {
            let hold = EOFHoldHandler()
            if (try? context.pipeline.syncOperations.addHandler(hold, position: .first)) != nil { eofHold = hold }
        }
        proxy.dialer.connect(host: host, port: port, on: pool.eventLoop).assumeIsolated().whenComplete { result in
            guard case .connecting = self.state else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let upstream):
                if let refusal = self.proxy.refusal(connectedTo: upstream) {
                    upstream.close(promise: nil)
                    return self.reject(.forbidden, refusal)
                }
                self.openTunnel(to: upstream)
            case .failure(let error):
                self.rejectDialFailure(error)
            }
        }
    }

    /// Takes the HTTP codec off the client connection (keeping any bytes the client sent after the CONNECT
    /// head), answers 200 and joins the relay.
    private func openTunnel(to upstream: any Channel) {
        guard let context else {
            upstream.close(promise: nil)
            return
        }
        let pipeline = context.pipeline.syncOperations
        let leftover = UpgradeLeftoverHandler()
        do {
            try pipeline.addHandler(leftover, position: .after(requestDecoder))
            pipeline.removeHandler(responseEncoder, promise: nil)
        } catch {
            upstream.close(promise: nil)
            return reject(.badGateway, "wproxy: cannot open the tunnel: \(error)")
        }
        pipeline.removeHandler(requestDecoder).assumeIsolated().whenComplete { _ in
            guard case .connecting = self.state, let context = self.context, context.channel.isActive else {
                upstream.close(promise: nil)
                return
            }
            self.status = 200
            context.channel.writeAndFlush(
                context.channel.allocator.buffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n"), promise: nil)
            var helpers: [any RemovableChannelHandler] = [leftover]
            if let hold = self.eofHold {
                if hold.held { self.clientInputClosed = true }
                helpers.append(hold)
                self.eofHold = nil
            }
            self.joinRelay(upstream: upstream, clientBytes: leftover.bytes, removing: helpers)
        }
    }

    // MARK: - Upgrade (WebSocket through absolute-form)

    func beginUpgrade(_ response: HTTPResponseHead) {
        guard let context else { return }
        status = 101
        responseHeadSent = true
        state = .upgrading
        var headers = response.headers
        headers.removeHopByHop(keepUpgrade: true)
        headers.addVia()
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))),
            promise: nil)
        // Both decoders are mid-read: switch once the current read has unwound.
        context.eventLoop.assumeIsolated().execute { self.completeUpgrade() }
    }

    private func completeUpgrade() {
        guard case .upgrading = state, let context, let origin, let upstream = originChannel else { return }
        origin.owner = nil
        self.origin = nil
        originChannel = nil
        let clientPipeline = context.pipeline.syncOperations
        let upstreamPipeline = upstream.pipeline.syncOperations
        let clientLeftover = UpgradeLeftoverHandler()
        let upstreamLeftover = UpgradeLeftoverHandler()
        do {
            try clientPipeline.addHandler(clientLeftover, position: .after(requestDecoder))
            clientPipeline.removeHandler(responseEncoder, promise: nil)
            try upstreamPipeline.addHandler(upstreamLeftover, position: .after(origin.responseDecoder))
            upstreamPipeline.removeHandler(origin.requestEncoder, promise: nil)
            upstreamPipeline.removeHandler(origin, promise: nil)
        } catch {
            upstream.close(promise: nil)
            return close()
        }
        let clientDone = clientPipeline.removeHandler(requestDecoder)
        let upstreamDone = upstreamPipeline.removeHandler(origin.responseDecoder)
        clientDone.and(upstreamDone).assumeIsolated().whenComplete { _ in
            guard case .upgrading = self.state, let context = self.context, context.channel.isActive else {
                upstream.close(promise: nil)
                return
            }
            upstreamPipeline.removeHandler(upstreamLeftover, promise: nil)
            for buffer in upstreamLeftover.bytes {
                self.bytesDown &+= buffer.readableBytes
                context.channel.write(buffer, promise: nil)
            }
            context.channel.flush()
            self.joinRelay(upstream: upstream, clientBytes: clientLeftover.bytes, removing: [clientLeftover])
        }
    }

    // MARK: -

    /// Removes this handler (and the given helpers) and relays raw bytes until both sides close.
    private func joinRelay(upstream: any Channel, clientBytes: [ByteBuffer], removing helpers: [any RemovableChannelHandler]) {
        guard let context else { return }
        state = .tunnelled
        idleTimer?.cancel()
        idleTimer = nil
        let client = context.channel
        let pipeline = context.pipeline.syncOperations
        for helper in helpers { pipeline.removeHandler(helper, promise: nil) }
        pipeline.removeHandler(context: context, promise: nil)
        let record = proxy.accessLog == nil ? nil : TunnelRecord(
            proxy: proxy, client: clientAddress, user: user, method: logMethod, target: logTarget,
            status: status, started: started, bytesDownBefore: bytesDown)
        do {
            try Relay.join(
                client: client, upstream: upstream, initialUpstreamData: clientBytes, clientSentEOF: clientInputClosed,
                idleTimeout: proxy.tunnelIdleTimeout, handoff: handoff
            ) { result in
                record?.log(result)
            }
        } catch {
            client.close(promise: nil)
            upstream.close(promise: nil)
        }
    }
}

/// What the access log needs once a tunnel has ended.
struct TunnelRecord {
    let proxy: ForwardProxy
    let client: String
    let user: String
    let method: String
    let target: String
    let status: Int
    let started: NIODeadline
    let bytesDownBefore: Int

    func log(_ result: RelayResult) {
        guard let accessLog = proxy.accessLog else { return }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        accessLog.log([
            ("time", Timestamp.now()), ("mode", "forward"), ("client", client), ("user", user),
            ("method", method), ("target", target), ("status", String(status)),
            ("bytes_up", String(result.bytesUp)), ("bytes_down", String(result.bytesDown + bytesDownBefore)),
            ("duration", formatSeconds(seconds)), ("end", result.end.rawValue),
        ])
    }
}

enum HostPortText {
    static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
