import Logging
import NIOCore
import ServiceLifecycle
import WProxyACME
import WProxyConfig
import WProxyCore
import WProxyReverse
import WProxyTCP
import WProxyTLS

/// What a mode contributes for one listener: its connection acceptor and any background services.
struct ModeInstance {
    let acceptor: any ConnectionAcceptor
    let services: (any EventLoopGroup) -> [any Service]
}

/// The explicit table from mode to implementation (no self-registering plugins).
enum ModeFactory {
    /// - Parameter previous: on reload, the acceptor being replaced (modes may carry state over from it).
    static func make(
        _ listener: ListenerConfig, accessLog: AccessLog?, logger: Logger, previous: (any ConnectionAcceptor)? = nil
    ) throws(RuntimeError) -> ModeInstance {
        switch listener.mode {
        case .tcp:
            guard let options = listener.tcp else { throw RuntimeError("tcp listener without tcp options") }
            let proxy = TCPProxy(
                listener: listener, options: options, accessLog: accessLog, logger: logger, previous: previous as? TCPProxy)
            return ModeInstance(acceptor: proxy, services: { proxy.services(eventLoopGroup: $0) })
        case .reverse:
            guard let options = listener.reverse else { throw RuntimeError("reverse listener without reverse options") }
            if let redirect = options.tls.redirectOnly {
                let acceptor = HTTPSRedirectAcceptor(httpsPort: redirect.httpsPort, timeout: TimeAmount(options.headerTimeout))
                return ModeInstance(acceptor: acceptor, services: { _ in [] })
            }
            let proxy: ReverseProxy
            do {
                proxy = try ReverseProxy(listener: listener, options: options, accessLog: accessLog, logger: logger)
            } catch {
                throw RuntimeError("\(error)")
            }
            if let server = options.tls.server {
                return try secureReverse(proxy, listener: listener, server: server, previous: previous, logger: logger)
            }
            return ModeInstance(acceptor: proxy, services: { proxy.services(eventLoopGroup: $0) })
        case .forward, .socks, .transparent:
            throw RuntimeError("mode '\(listener.mode.rawValue)' is not available in this build yet")
        }
    }
}
