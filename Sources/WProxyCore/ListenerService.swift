import Logging
import NIOCore
import ServiceLifecycle
import WProxyConfig

/// Keeps a bound listener serving until graceful shutdown, then drains it:
/// stop accepting, let open connections finish for up to `drainTimeout`, close what is left.
package struct ListenerService: Service {
    package let listener: Listener
    package let drainTimeout: Duration
    package let logger: Logger

    package init(listener: Listener, drainTimeout: Duration, logger: Logger) {
        self.listener = listener
        self.drainTimeout = drainTimeout
        self.logger = logger
    }

    package func run() async throws {
        try? await gracefulShutdown()
        await listener.stopAccepting()
        listener.tracker.quiesceAll()
        let open = listener.tracker.count
        if open > 0 {
            logger.info("draining \(open) connections (up to \(drainTimeout))", metadata: ["mode": "\(listener.mode.rawValue)"])
        }
        let tracker = listener.tracker
        let drainTimeout = drainTimeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tracker.waitUntilEmpty() }
            group.addTask { try? await Task.sleep(for: drainTimeout) }
            await group.next()
            tracker.closeAll()
            group.cancelAll()
        }
    }
}
