import NIOCore
import NIOHTTP1
import WProxyCore

/// The `--redirect-http` listener: answers ACME HTTP-01 challenges from ``ACMEChallengeStore`` and
/// redirects every other request to the same host and path over HTTPS with `308`. One request per
/// connection; a connection is closed after `timeout` whatever it does.
package struct HTTPSRedirectAcceptor: ConnectionAcceptor {
    let httpsPort: Int?
    let timeout: TimeAmount

    package init(httpsPort: Int?, timeout: TimeAmount) {
        self.httpsPort = httpsPort
        self.timeout = timeout
    }

    package func initializeConnection(_ channel: any Channel) throws {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
        try sync.addHandler(RedirectHandler(httpsPort: httpsPort))
        try channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
    }
}

final class RedirectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let challengePrefix = "/.well-known/acme-challenge/"
    let httpsPort: Int?
    private var answered = false

    init(httpsPort: Int?) {
        self.httpsPort = httpsPort
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data), !answered else { return }
        answered = true
        var headers = HTTPHeaders([("Connection", "close"), ("Content-Type", "text/plain")])
        let status: HTTPResponseStatus
        var body: String
        if request.uri.hasPrefix(Self.challengePrefix) {
            let token = String(request.uri.dropFirst(Self.challengePrefix.count))
            if let answer = ACMEChallengeStore.shared.keyAuthorization(for: token) {
                status = .ok
                body = answer
            } else {
                status = .notFound
                body = "no such challenge\n"
            }
        } else if let host = Self.host(request.headers.first(name: "host")) {
            status = .permanentRedirect
            let authority = httpsPort.map { "\(host):\($0)" } ?? host
            let target = request.uri.hasPrefix("/") ? request.uri : "/"
            headers.add(name: "Location", value: "https://\(authority)\(target)")
            body = "moved to https://\(authority)\(target)\n"
        } else {
            status = .badRequest
            body = "missing or invalid Host\n"
        }
        if request.method == .HEAD { body = "" }
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The host of a `Host` value without its port; nil when absent or not a plain host name or address.
    static func host(_ value: String?) -> String? {
        guard var value, !value.isEmpty else { return nil }
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            value = String(value[...close])
        } else if let colon = value.firstIndex(of: ":") {
            value = String(value[..<colon])
        }
        let allowed = value.allSatisfy { $0.isLetter || $0.isNumber || "-.[]:".contains($0) }
        return allowed && !value.isEmpty ? value : nil
    }
}
