import NIOCore
import NIOHTTP1
import WProxyDialer
import WProxyHTTP
import WProxyLoadBalancing

/// `--health-check PATH`: an upstream is healthy when `GET PATH` answers 2xx or 3xx within the
/// connect timeout plus the upstream timeout (capped at 10 s so one probe never spans rounds).
struct HTTPHealthProbe: HealthProbe {
    let peers: [UpstreamPeer]
    let path: String
    let dialer: Dialer
    let timeout: TimeAmount
    let eventLoopGroup: any EventLoopGroup

    func probe(_ backend: Backend) async -> Bool {
        let peer = peers[backend.id]
        let loop = eventLoopGroup.next()
        do {
            let channel = try await dialer.connect(host: peer.host, port: peer.port, on: loop).get()
            let promise = loop.makePromise(of: Bool.self)
            try await loop.submit {
                let sync = channel.pipeline.syncOperations
                try peer.security?.secure(channel, host: peer.host)
                try sync.addHTTPClientHandlers()
                try sync.addHandler(HealthResponseHandler(promise: promise))
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                head.headers.add(name: "Host", value: peer.hostHeader)
                head.headers.add(name: "User-Agent", value: "wproxy-health-check")
                head.headers.add(name: "Connection", value: "close")
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                channel.read()
            }.get()
            // Closing ends the probe: the handler then completes with false (if it has not yet).
            let timeout = loop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            let healthy = (try? await promise.futureResult.get()) ?? false
            timeout.cancel()
            try? await channel.close()
            return healthy
        } catch {
            return false
        }
    }
}

/// Completes with true on a 2xx/3xx response head, false on anything else or a close.
private final class HealthResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<Bool>
    private var completed = false

    init(promise: EventLoopPromise<Bool>) {
        self.promise = promise
    }

    private func complete(_ healthy: Bool) {
        guard !completed else { return }
        completed = true
        promise.succeed(healthy)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            complete((200..<400).contains(Int(head.status.code)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete(false)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(false)
        context.close(promise: nil)
    }
}
