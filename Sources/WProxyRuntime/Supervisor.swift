import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WProxyConfig
import WProxyCore

/// Owns the running listeners and applies reloads.
///
/// A reload builds every new mode instance first and only then swaps: a listener whose mode and
/// addresses are unchanged keeps its sockets and open connections and gets the new acceptor
/// (new upstreams, routes, credentials...) for connections accepted from then on; listeners no
/// longer in the file stop accepting and drain; new ones are bound. Anything that fails leaves the
/// running configuration as it was.
actor Supervisor {
    private struct Running {
        var config: ListenerConfig
        let listener: Listener
        let accessLog: AccessLog?
        var background: Task<Void, Never>?

        var key: ListenerKey { ListenerKey(config) }
    }

    /// Listeners are matched across reloads by mode and set of addresses.
    private struct ListenerKey: Hashable {
        let mode: Mode
        let addresses: Set<ListenAddress>

        init(_ config: ListenerConfig) {
            mode = config.mode
            addresses = Set(config.listen)
        }
    }

    private let group: any EventLoopGroup
    private let writer: AccessLogWriter?
    private let metricsEnabled: Bool
    private let logger: Logger
    private var global: GlobalConfig
    private var running: [Running] = []
    private var draining: [Task<Void, Never>] = []

    init(global: GlobalConfig, group: any EventLoopGroup, writer: AccessLogWriter?, metricsEnabled: Bool, logger: Logger) {
        self.global = global
        self.group = group
        self.writer = writer
        self.metricsEnabled = metricsEnabled
        self.logger = logger
    }

    /// Binds every listener of the initial configuration; any failure undoes the rest and throws.
    /// With `acceptNow` false nothing is accepted until ``startAccepting()`` (after a privilege drop).
    func start(_ listeners: [ListenerConfig], acceptNow: Bool = true) async throws(RuntimeError) {
        for config in listeners {
            do {
                running.append(try await bind(config, acceptNow: acceptNow))
            } catch {
                for item in running { await item.listener.stopAccepting() }
                running = []
                throw error
            }
        }
    }

    func startAccepting() async throws(RuntimeError) {
        for item in running {
            do {
                try await item.listener.startAccepting()
            } catch {
                throw RuntimeError("cannot start accepting on \(item.config.displayName): \(error)")
            }
        }
    }

    private func bind(_ config: ListenerConfig, acceptNow: Bool = true) async throws(RuntimeError) -> Running {
        let metrics = metricsEnabled ? ListenerMetrics(listener: config.displayName, mode: config.mode.rawValue) : nil
        let accessLog = writer == nil && metrics == nil ? nil : AccessLog(writer: writer, metrics: metrics)
        let mode = try ModeFactory.make(config, accessLog: accessLog, logger: logger)
        let listener: Listener
        do {
            listener = try await Listener.bind(
                addresses: config.listen, mode: config.mode, maxConnections: config.maxConnections, group: group,
                acceptor: mode.acceptor, metrics: metrics, transparent: config.transparent?.tproxy ?? false,
                acceptNow: acceptNow, logger: logger)
        } catch {
            throw RuntimeError("\(error)")
        }
        var item = Running(config: config, listener: listener, accessLog: accessLog, background: nil)
        item.background = startBackground(mode.services(group))
        return item
    }

    private func startBackground(_ services: [any Service]) -> Task<Void, Never>? {
        guard !services.isEmpty else { return nil }
        let logger = self.logger
        return Task {
            await withTaskGroup(of: Void.self) { tasks in
                for service in services {
                    tasks.addTask {
                        do { try await service.run() } catch { logger.error("background service stopped: \(error)") }
                    }
                }
            }
        }
    }

    func logListening() {
        for item in running { item.listener.logListening(logger) }
    }

    /// The running listeners (for tests and the summary line).
    var listenerCount: Int { running.count }

    /// Applies a new, already validated configuration.
    func apply(_ configuration: Configuration) async {
        if configuration.global.workers != global.workers || configuration.global.accessLog != global.accessLog
            || configuration.global.metrics != global.metrics || configuration.global.logLevel != global.logLevel
            || configuration.global.logFormat != global.logFormat
        {
            logger.notice("[global] changes other than drain_timeout take effect on restart")
        }
        global.drainTimeout = configuration.global.drainTimeout

        // Build every new mode instance before touching anything, so a failure changes nothing.
        var updates: [(index: Int, config: ListenerConfig, mode: ModeInstance)] = []
        var additions: [ListenerConfig] = []
        var kept = Set<Int>()
        for config in configuration.listeners {
            if let index = running.firstIndex(where: { $0.key == ListenerKey(config) }) {
                do {
                    let mode = try ModeFactory.make(
                        config, accessLog: running[index].accessLog, logger: logger,
                        previous: running[index].listener.currentAcceptor)
                    updates.append((index, config, mode))
                    kept.insert(index)
                } catch {
                    logger.error("reload failed, keeping the running configuration: \(error)")
                    return
                }
            } else {
                additions.append(config)
            }
        }

        // Listeners that are gone stop accepting first, so a new listener may take over their port.
        var remaining: [Running] = []
        for (index, item) in running.enumerated() {
            if kept.contains(index) {
                remaining.append(item)
                continue
            }
            item.background?.cancel()
            let drainTimeout = global.drainTimeout
            let logger = self.logger
            logger.info("removing listener \(item.config.displayName) (\(item.config.mode.rawValue))")
            await item.listener.stopAccepting()
            draining.append(Task { await item.listener.drain(timeout: drainTimeout, logger: logger) })
        }
        for (index, config, mode) in updates {
            var item = running[index]
            item.listener.replaceAcceptor(mode.acceptor)
            item.listener.tracker.limit = config.maxConnections
            item.background?.cancel()
            item.background = startBackground(mode.services(group))
            item.config = config
            if let position = remaining.firstIndex(where: { $0.listener === item.listener }) { remaining[position] = item }
        }
        running = remaining
        for config in additions {
            do {
                let item = try await bind(config)
                item.listener.logListening(logger)
                running.append(item)
            } catch {
                logger.error("reload: \(error)")
            }
        }
        logger.notice("configuration reloaded: \(running.count) listeners")
    }

    /// Stops every listener, drains open connections for up to the drain timeout, stops background work.
    func shutdown() async {
        let timeout = global.drainTimeout
        let logger = self.logger
        await withTaskGroup(of: Void.self) { tasks in
            for item in running {
                tasks.addTask { await item.listener.drain(timeout: timeout, logger: logger) }
            }
            for task in draining {
                tasks.addTask { await task.value }
            }
        }
        for item in running { item.background?.cancel() }
        running = []
    }
}
