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
    /// With a `reload` source, SIGHUP (and file changes with `watch`) re-read the configuration.
    package static func run(_ configuration: Configuration, reload: ReloadSource? = nil) async throws(RuntimeError) {
        let logger = Logger(label: "wproxy")
        let errors = configuration.validationErrors()
        guard errors.isEmpty else { throw RuntimeError(errors.joined(separator: "\n")) }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.global.workers ?? System.coreCount)
        TunnelEngine.configure(threads: configuration.global.workers ?? System.coreCount)
        await EventLoopPriority.inheritProcessNice(group)
        do {
            try await serve(configuration, reload: reload, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private static func serve(
        _ configuration: Configuration, reload: ReloadSource?, group: MultiThreadedEventLoopGroup, logger: Logger
    ) async throws(RuntimeError) {
        let writer: AccessLogWriter?
        do {
            writer = try AccessLogWriter(target: configuration.global.accessLog, format: configuration.global.logFormat)
        } catch {
            throw RuntimeError("\(error)")
        }
        var services: [any Service] = []
        if let address = configuration.global.metrics {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            do {
                let channel = try await MetricsService.bind(address, registry: registry, group: group)
                services.append(MetricsService(channel: channel, logger: logger))
            } catch {
                await writer?.shutdown()
                throw RuntimeError("\(error)")
            }
        }
        let supervisor = Supervisor(
            global: configuration.global, group: group, writer: writer,
            metricsEnabled: configuration.global.metrics != nil, logger: logger)
        do throws(RuntimeError) {
            // Looked up before binding, so a wrong --user fails before anything listens.
            let user: TargetUser?
            do {
                user = try configuration.global.user.map(PrivilegeDrop.lookup)
            } catch {
                throw RuntimeError("\(error)")
            }
            try await supervisor.start(configuration.listeners, acceptNow: user == nil)
            // Everything is bound: give up root before the first connection is served.
            if let user {
                let keep = configuration.requiredCapabilities
                do {
                    try await PrivilegeDrop.drop(to: user, keeping: keep, eventLoops: Array(group.makeIterator()))
                } catch {
                    await supervisor.shutdown()
                    throw RuntimeError("\(error)")
                }
                let kept = keep.isEmpty ? "none" : keep.map(\.description).sorted().joined(separator: ",")
                logger.info("running as user \(user.name) (uid \(user.uid), gid \(user.gid)), capabilities kept: \(kept)")
                try await supervisor.startAccepting()
            }
        } catch {
            for case let service as MetricsService in services { try? await service.channel.close() }
            await writer?.shutdown()
            throw error
        }
        // The supervisor is last, so graceful shutdown drains the listeners first.
        services.append(SupervisorService(supervisor: supervisor, reload: reload, logger: logger))
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
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

extension WProxyRuntime {
    /// Reads a whole (config) file as UTF-8 text.
    package static func readFile(_ path: String) throws -> String {
        try FileText.read(path)
    }
}
