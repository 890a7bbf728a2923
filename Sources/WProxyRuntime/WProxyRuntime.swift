import Logging
import NIOCore
import NIOPosix
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
        let accessLog: AccessLog?
        do {
            accessLog = try AccessLog(target: configuration.global.accessLog, format: configuration.global.logFormat)
        } catch {
            throw RuntimeError("\(error)")
        }

        var listenerServices: [any Service] = []
        var backgroundServices: [any Service] = []
        var listeners: [Listener] = []
        do {
            // Looked up before binding, so a wrong --user fails before anything listens.
            let user = try configuration.global.user.map(PrivilegeDrop.lookup)
            for listenerConfig in configuration.listeners {
                let mode = try ModeFactory.make(listenerConfig, accessLog: accessLog, logger: logger)
                let listener = try await Listener.bind(
                    addresses: listenerConfig.listen, mode: listenerConfig.mode,
                    maxConnections: listenerConfig.maxConnections, group: group,
                    acceptor: mode.acceptor, transparent: listenerConfig.transparent?.tproxy ?? false,
                    acceptNow: user == nil, logger: logger)
                listeners.append(listener)
                listenerServices.append(
                    ListenerService(listener: listener, drainTimeout: configuration.global.drainTimeout, logger: logger))
                backgroundServices += mode.services(group)
            }
            // Everything is bound: give up root before the first connection is served.
            if let user {
                let keep = configuration.requiredCapabilities
                try await PrivilegeDrop.drop(to: user, keeping: keep, eventLoops: Array(group.makeIterator()))
                let kept = keep.isEmpty ? "none" : keep.map(\.description).sorted().joined(separator: ",")
                logger.info("running as user \(user.name) (uid \(user.uid), gid \(user.gid)), capabilities kept: \(kept)")
                for listener in listeners { try await listener.startAccepting() }
            }
        } catch {
            for listener in listeners { await listener.stopAccepting() }
            await accessLog?.shutdown()
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
        await accessLog?.shutdown()
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
