import ArgumentParser

struct WProxyCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wproxy",
        abstract: "One binary for every kind of proxy.",
        discussion: "Each mode is a subcommand; `wproxy MODE --help` lists its options.",
        version: version,
        subcommands: [
            ReverseCommand.self, ForwardCommand.self, SOCKSCommand.self, TransparentCommand.self, TCPCommand.self,
            RunCommand.self, CheckCommand.self,
        ]
    )
}
