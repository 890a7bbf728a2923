import ArgumentParser
import WProxyConfig

struct SOCKSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socks",
        abstract: "SOCKS4, SOCKS4a and SOCKS5 server (CONNECT, BIND, UDP ASSOCIATE).",
        discussion: """
            Examples:
              wproxy socks
              wproxy socks --listen :1080 --auth alice:secret --deny-dest 10.0.0.0/8
            The default listens on 127.0.0.1:1080 without authentication; listening beyond
            loopback needs --auth or --allow. See docs/socks.md.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp(
        "Require SOCKS5 user/password authentication (RFC 1929) with this USER:PASS; SOCKS4 is then refused. Repeatable.",
        valueName: "user:pass"))
    var auth: [String] = []

    @Option(name: .customLong("auth-file"), help: ArgumentHelp(
        "Read more credentials from FILE: one user:password per line; # comments and blank lines are skipped.",
        valueName: "file"))
    var authFile: String?

    @Option(help: ArgumentHelp("Only clients in this network may use the proxy (others get reply 0x02 / 0x5B). Repeatable.",
                               valueName: "cidr"))
    var allow: [String] = []

    @Option(name: .customLong("deny-dest"), help: ArgumentHelp(
        "Refuse destinations in this network, or with this host name (exact or *.domain). Repeatable.",
        valueName: "cidr|host"))
    var denyDest: [String] = []

    @Option(name: .customLong("handshake-timeout"), help: ArgumentHelp(
        "Close a client that has not sent its whole request within this time.", valueName: "duration"))
    var handshakeTimeout: String = "10s"

    func configuration() throws -> Configuration {
        var (global, listener) = try common.apply(mode: .socks, defaultListen: "127.0.0.1:1080")
        var options = SOCKSOptions()
        let access = try AccessFlags(auth: auth, authFile: authFile, allow: allow, denyDest: denyDest)
        (options.auth, options.allow, options.denyDest) = (access.auth, access.allow, access.denyDest)
        options.handshakeTimeout = try parsePositive("--handshake-timeout", handshakeTimeout)
        try access.refuseOpenProxy(on: listener.listen)
        listener.socks = options
        return Configuration(global: global, listeners: [listener])
    }

    mutating func validate() throws {
        _ = try configuration()
    }

    func run() async throws {
        try await serve(configuration())
    }
}
