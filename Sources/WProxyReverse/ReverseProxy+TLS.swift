import NIOCore
import WProxyConfig
import WProxyHTTP
import WProxyTLS

extension ReverseProxy: TLSApplication {
    /// Behind TLS: HTTP/2 when ALPN chose `h2`, else the HTTP/1 engine.
    package func initializeSecuredConnection(_ channel: any Channel, applicationProtocol: String?) throws {
        if applicationProtocol == "h2" {
            try HTTP2ProxyServer.configure(channel: channel, settings: settings, http2: http2Settings, phases: self)
        } else {
            try HTTP1ProxyHandler.configure(channel: channel, settings: settings, phases: self)
        }
    }

    var http2Settings: HTTP2ServerSettings {
        HTTP2ServerSettings(maxConcurrentStreams: options.tls.h2MaxStreams, maxHeaderListSize: options.maxHeaderSize)
    }

    /// TLS for the listener's `https://` upstreams, if it has any.
    static func upstreamSecurity(_ options: ReverseOptions) throws -> (any UpstreamChannelSecurity)? {
        guard options.upstreams.contains(where: { $0.scheme == .https }) else { return nil }
        return try UpstreamTLS(caFile: options.tls.upstreamCA, insecure: options.tls.upstreamInsecure)
    }
}

extension UpstreamTLS: UpstreamChannelSecurity {}
