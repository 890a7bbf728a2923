import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A response of the ACME server.
struct ACMEHTTPResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A small HTTP/1.1 client for the ACME directory: one request per connection (`Connection: close`),
/// HTTPS verified against the system store or `--acme-ca`, bounded body size and time.
struct ACMEHTTPClient: Sendable {
    let group: any EventLoopGroup
    let tls: NIOSSLContext
    static let maxBody = 1 << 20
    static let timeout = TimeAmount.seconds(30)

    init(group: any EventLoopGroup, caFile: String?) throws {
        self.group = group
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        tls = try NIOSSLContext(configuration: configuration)
    }

    struct URLParts {
        var https: Bool
        var host: String
        var port: Int
        var target: String

        init(_ url: String) throws(ACMEError) {
            var rest: Substring
            if url.hasPrefix("https://") {
                https = true
                rest = url.dropFirst(8)
            } else if url.hasPrefix("http://") {
                https = false
                rest = url.dropFirst(7)
            } else {
                throw ACMEError("not an http(s) URL: \(url)")
            }
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            rest = rest.dropFirst(authority.count)
            target = rest.isEmpty ? "/" : String(rest)
            port = https ? 443 : 80
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { throw ACMEError("bad URL: \(url)") }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":") { port = Int(after.dropFirst()) ?? port }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                guard let parsed = Int(authority[authority.index(after: colon)...]) else { throw ACMEError("bad port in URL: \(url)") }
                port = parsed
            } else {
                host = String(authority)
            }
        }

        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (https ? 443 : 80) ? name : "\(name):\(port)"
        }
    }

    func request(_ method: HTTPMethod, _ url: String, body: [UInt8]? = nil, contentType: String? = nil) async throws -> ACMEHTTPResponse {
        let parts = try URLParts(url)
        let loop = group.next()
        let promise = loop.makePromise(of: ACMEHTTPResponse.self)
        let tls = self.tls
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if parts.https {
                            let isIP = parts.host.contains(":") || parts.host.allSatisfy { $0.isNumber || $0 == "." }
                            try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isIP ? nil : parts.host))
                        }
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: parts.host, port: parts.port).get()
        } catch {
            promise.fail(error)
            throw ACMEError("cannot connect to \(parts.hostHeader): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: parts.target)
        head.headers.add(name: "Host", value: parts.hostHeader)
        head.headers.add(name: "User-Agent", value: "wproxy-acme")
        head.headers.add(name: "Accept", value: "application/json, application/pem-certificate-chain")
        head.headers.add(name: "Connection", value: "close")
        if let body {
            head.headers.add(name: "Content-Type", value: contentType ?? "application/jose+json")
            head.headers.add(name: "Content-Length", value: String(body.count))
        }
        let timeout = loop.scheduleTask(in: Self.timeout) { channel.close(promise: nil) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timeout.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one response; fails on close before its end.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<ACMEHTTPResponse>
    private var response: ACMEHTTPResponse?
    private var done = false

    init(promise: EventLoopPromise<ACMEHTTPResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = ACMEHTTPResponse(status: Int(head.status.code), headers: head.headers, body: [])
        case .body(let buffer):
            guard var response, !done else { return }
            guard response.body.count + buffer.readableBytes <= ACMEHTTPClient.maxBody else {
                finish(.failure(ACMEError("response body too large")))
                return
            }
            response.body += buffer.readableBytesView
            self.response = response
        case .end:
            if let response { finish(.success(response)) } else { finish(.failure(ACMEError("no response head"))) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ACMEError("connection closed before the response ended")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<ACMEHTTPResponse, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}

/// An ACME failure; `problem` is the CA's problem document (RFC 7807) when it sent one.
package struct ACMEError: Error, CustomStringConvertible {
    package let message: String
    package let problem: String?
    /// `urn:ietf:params:acme:error:...`
    package let type: String?

    init(_ message: String, problem: String? = nil, type: String? = nil) {
        self.message = message
        self.problem = problem
        self.type = type
    }

    package var description: String {
        guard let problem else { return message }
        return "\(message): \(problem)"
    }
}
