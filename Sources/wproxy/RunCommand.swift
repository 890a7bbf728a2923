import ArgumentParser
import WProxyConfig
import WProxyRuntime

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run any number of listeners of any mode from a TOML config file.",
        discussion: "SIGHUP re-reads the file: a valid file replaces listeners, upstreams, routes and credentials without dropping connections; an invalid one is logged and the running configuration stays."
    )

    @Option(help: ArgumentHelp("The TOML config file.", valueName: "file"))
    var config: String

    @Flag(help: "Also reload when the file changes (checked every second).")
    var watch = false

    func run() async throws {
        let path = config
        let configuration: Configuration
        do {
            configuration = try loadConfigFile(path)
        } catch {
            WProxyRuntime.printError("\(error)")
            throw ExitCode(1)
        }
        try await serve(configuration, reload: ReloadSource(path: path, watch: watch) { try loadConfigFile(path) })
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a config file: exit 0 and a summary if valid, exit 1 with every error (file:line) if not."
    )

    @Option(help: ArgumentHelp("The TOML config file.", valueName: "file"))
    var config: String

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try loadConfigFile(config)
        } catch {
            WProxyRuntime.printError("\(error)")
            throw ExitCode(1)
        }
        print("\(config): OK, \(configuration.listeners.count) listener\(configuration.listeners.count == 1 ? "" : "s")")
        for listener in configuration.listeners {
            print("  " + listener.summary)
        }
    }
}

/// Reads and decodes a config file; errors are complete messages with file:line.
func loadConfigFile(_ path: String) throws -> Configuration {
    let text: String
    do {
        text = try WProxyRuntime.readFile(path)
    } catch {
        throw ConfigFileError(issues: [ConfigIssue(file: path, line: 0, message: "\(error)")])
    }
    return try ConfigFile.load(text: text, fileName: path)
}
