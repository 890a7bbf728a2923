import ArgumentParser
import WProxyConfig
import WProxyRuntime

/// Runs a configuration and turns a startup failure into its message on stderr and exit 1.
/// Without a config file, `SIGHUP` re-reads the files the flags name (see `ReloadSource.commandLine`).
func serve(_ configuration: Configuration, reload: ReloadSource? = nil) async throws {
    WProxyRuntime.bootstrapLogging(configuration.global)
    do {
        try await WProxyRuntime.run(configuration, reload: reload ?? .commandLine(configuration))
    } catch {
        WProxyRuntime.printError("wproxy: \(error)")
        throw ExitCode(1)
    }
}
