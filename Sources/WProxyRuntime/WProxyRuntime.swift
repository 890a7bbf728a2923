import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals
import WProxyConfig
import WProxyCore

/// Runs a `Configuration`: binds every listener, then serves until SIGTERM/SIGINT and drains.
package enum WProxyRuntime {
    /// Sets up diagnostics on stderr. Call once, before anything logs.
    package static func bootstrapLogging(_ global: GlobalConfig) {
        let level = Logger.Level(global.logLevel)
        let format = global.logFormat
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level, format: format) }
    }

    /// Serves until shut down. Throws `RuntimeError` for anything the user must fix (exit 1).
    package static func run(_ configuration: Configuration) async throws(RuntimeError) {
        let logger = Logger(label: "wproxy")
        let errors = configuration.validationErrors()
        guard errors.isEmpty else { throw RuntimeError(errors.joined(separator: "\n")) }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.global.workers ?? System.coreCount)
        do {
            try await serve(configuration, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private static func serve(
        _ configuration: Configuration, group: MultiThreadedEventLoopGroup, logger: Logger
    ) async throws(RuntimeError) {
        let writer: AccessLogWriter?
        do {
            writer = try AccessLogWriter(target: configuration.global.accessLog, format: configuration.global.logFormat)
        } catch {
            throw RuntimeError("\(error)")
        }
        var registry: PrometheusCollectorRegistry?
        if configuration.global.metrics != nil {
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            registry = prometheus
        }

        var listenerServices: [any Service] = []
        var backgroundServices: [any Service] = []
        var listeners: [Listener] = []
        do {
            if let address = configuration.global.metrics, let registry {
                let channel = try await MetricsService.bind(address, registry: registry, group: group)
                backgroundServices.append(MetricsService(channel: channel, logger: logger))
            }
            for listenerConfig in configuration.listeners {
                let metrics = registry.map { _ in
                    ListenerMetrics(listener: listenerConfig.displayName, mode: listenerConfig.mode.rawValue)
                }
                let accessLog = writer == nil && metrics == nil ? nil : AccessLog(writer: writer, metrics: metrics)
                let mode = try ModeFactory.make(listenerConfig, accessLog: accessLog, logger: logger)
                let listener = try await Listener.bind(
                    addresses: listenerConfig.listen, mode: listenerConfig.mode,
                    maxConnections: listenerConfig.maxConnections, group: group,
                    acceptor: mode.acceptor, metrics: metrics, logger: logger)
                listeners.append(listener)
                listenerServices.append(
                    ListenerService(listener: listener, drainTimeout: configuration.global.drainTimeout, logger: logger))
                backgroundServices += mode.services(group)
            }
        } catch {
            for listener in listeners { await listener.stopAccepting() }
            for case let service as MetricsService in backgroundServices { try? await service.channel.close() }
            await writer?.shutdown()
            throw RuntimeError("\(error)")
        }

        // ServiceGroup stops services in reverse order: listeners drain first, health checks last.
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: (backgroundServices + listenerServices).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("stopped: \(error)")
        }
        logger.info("stopped")
        await writer?.shutdown()
    }
}

/// A problem the user must fix; the message is complete and printed as is.
package struct RuntimeError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

extension WProxyRuntime {
    /// One message on stderr (the executable has no Foundation or NIO of its own).
    package static func printError(_ message: String) {
        StderrLogHandler.writeAll(message + "\n", to: 2)
    }
}
