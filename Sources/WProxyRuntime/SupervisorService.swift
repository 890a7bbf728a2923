#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import UnixSignals
import WProxyConfig

/// Where a reload reads its configuration from (`wproxy run --config FILE`).
package struct ReloadSource: Sendable {
    package let path: String
    /// Reload when the file's modification time changes (`--watch`), checked every second.
    package let watch: Bool
    /// Reads, decodes and validates the file.
    package let load: @Sendable () throws -> Configuration

    package init(path: String, watch: Bool, load: @escaping @Sendable () throws -> Configuration) {
        self.path = path
        self.watch = watch
        self.load = load
    }

    /// For a mode started from flags: `SIGHUP` applies the same configuration again, which re-reads
    /// every file it names (certificates and keys, `--upstream-ca`), as `run --config` does.
    package static func commandLine(_ configuration: Configuration) -> ReloadSource {
        ReloadSource(path: "the files named on the command line", watch: false) { configuration }
    }
}

/// Runs the supervisor inside the service group: logs readiness, reloads on SIGHUP (and file
/// changes with `--watch`), and drains everything on graceful shutdown.
struct SupervisorService: Service {
    let supervisor: Supervisor
    let reload: ReloadSource?
    let logger: Logger

    func run() async throws {
        // Trap SIGHUP before announcing readiness: its default action would kill the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await supervisor.logListening()
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in hangups {
                    await self.reloadNow(reason: "SIGHUP")
                }
            }
            if let reload, reload.watch {
                tasks.addTask {
                    var last = Self.modificationTime(reload.path)
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        let now = Self.modificationTime(reload.path)
                        if now != last {
                            last = now
                            await self.reloadNow(reason: "\(reload.path) changed")
                        }
                    }
                }
            }
            try? await gracefulShutdown()
            tasks.cancelAll()
        }
        await supervisor.shutdown()
    }

    private func reloadNow(reason: String) async {
        guard let reload else {
            logger.notice("\(reason): nothing to reload (started without --config)")
            return
        }
        logger.info("\(reason): reloading \(reload.path)")
        let configuration: Configuration
        do {
            configuration = try reload.load()
        } catch {
            logger.error("reload failed, keeping the running configuration:\n\(error)")
            return
        }
        await supervisor.apply(configuration)
    }

    private static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }
}
