import ArgumentParser
import WProxyConfig
import WProxyRuntime

/// Runs a configuration and turns a startup failure into its message on stderr and exit 1.
func serve(_ configuration: Configuration, reload: ReloadSource? = nil) async throws {
    WProxyRuntime.bootstrapLogging(configuration.global)
    do {
        try await WProxyRuntime.run(configuration, reload: reload)
    } catch {
        WProxyRuntime.printError("wproxy: \(error)")
        throw ExitCode(1)
    }
}
