import ArgumentParser
import WProxyConfig
import WProxyRuntime

struct TransparentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transparent",
        abstract: "Transparent TCP proxy behind iptables REDIRECT or TPROXY.",
        discussion: """
            Each diverted connection is relayed to its original destination, directly or through \
            --upstream-proxy. Print the iptables rules to install with --print-iptables --ports 80,443.

            Example:
              iptables -t nat -A OUTPUT -p tcp --dport 80 -m owner ! --uid-owner proxyuser -j REDIRECT --to-ports 12345
              wproxy transparent --listen 127.0.0.1:12345 --user proxyuser
            """
    )

    static let defaultListen = "127.0.0.1:12345"

    @OptionGroup var common: CommonOptions

    @Flag(help: "Accept TPROXY traffic (IP_TRANSPARENT listener; needs CAP_NET_ADMIN, which --user keeps).")
    var tproxy = false

    @Flag(help: "Name the HTTP Host or TLS SNI of each connection in the access log (the stream is not delayed or altered).")
    var sniff = false

    @Flag(name: .customLong("print-iptables"), help: "Print the iptables rules for --ports and exit; nothing is changed or bound.")
    var printIptables = false

    @Option(help: ArgumentHelp("With --print-iptables: destination ports to divert, e.g. 80,443,8000-8100.", valueName: "ports"))
    var ports: String?

    func configuration() throws -> Configuration {
        let (global, listenerBase) = try common.apply(mode: .transparent, defaultListen: Self.defaultListen)
        var listener = listenerBase
        listener.transparent = TransparentOptions(tproxy: tproxy, sniff: sniff)
        return Configuration(global: global, listeners: [listener])
    }

    func portList() throws -> PortList? {
        guard let ports else {
            if printIptables { throw ValidationError("--print-iptables needs --ports, e.g. --ports 80,443") }
            return nil
        }
        guard printIptables else { throw ValidationError("--ports is only used with --print-iptables") }
        return try parseFlag("--ports", ports, PortList.init(parsing:))
    }

    mutating func validate() throws {
        _ = try configuration()
        _ = try portList()
    }

    func run() async throws {
        let configuration = try configuration()
        if let ports = try portList() {
            do {
                let text = try WProxyRuntime.iptablesRules(
                    listener: configuration.listeners[0], ports: ports, user: configuration.global.user)
                print(text, terminator: "")
            } catch {
                WProxyRuntime.printError("wproxy: \(error)")
                throw ExitCode(1)
            }
            return
        }
        try await serve(configuration)
    }
}
