import Logging
import ServiceLifecycle
import WProxyLoadBalancing

/// Runs a listener's active health checks until shutdown.
struct HealthCheckService: Service {
    let checker: HealthChecker<ContinuousClock>

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await checker.run()
        }
    }
}
