import Logging
import NIOCore
import ServiceLifecycle
import WProxyACME
import WProxyConfig
import WProxyCore
import WProxyForward
import WProxyReverse
import WProxySOCKS
import WProxyTCP
import WProxyTLS
import WProxyTransparent

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
        case .transparent:
            let options = listener.transparent ?? TransparentOptions()
            let proxy = TransparentProxy(listener: listener, options: options, accessLog: accessLog, logger: logger)
            return ModeInstance(acceptor: proxy, services: { _ in [] })
        case .forward:
            guard let options = listener.forward else { throw RuntimeError("forward listener without forward options") }
            let proxy = ForwardProxy(listener: listener, options: options, accessLog: accessLog, logger: logger)
            return ModeInstance(acceptor: proxy, services: { _ in [] })
        case .socks:
            guard let options = listener.socks else { throw RuntimeError("socks listener without socks options") }
            let proxy = SOCKSProxy(listener: listener, options: options, accessLog: accessLog, logger: logger)
            return ModeInstance(acceptor: proxy, services: { _ in [] })
        case .reverse:
            guard let options = listener.reverse else { throw RuntimeError("reverse listener without reverse options") }
            if let redirect = options.tls.redirectOnly {
                let acceptor = HTTPSRedirectAcceptor(httpsPort: redirect.httpsPort, timeout: TimeAmount(options.headerTimeout))
                return ModeInstance(acceptor: acceptor, services: { _ in [] })
            }
            let proxy: ReverseProxy
            do {
                proxy = try ReverseProxy(
                    listener: listener, options: options, accessLog: accessLog, logger: logger,
                    previous: previous as? ReverseProxy ?? (previous as? TLSServerAcceptor)?.application as? ReverseProxy)
            } catch {
                throw RuntimeError("\(error)")
            }
            if let server = options.tls.server {
                return try secureReverse(proxy, listener: listener, server: server, previous: previous, logger: logger)
            }
            return ModeInstance(acceptor: proxy, services: { proxy.services(eventLoopGroup: $0) })
        }
    }
}
