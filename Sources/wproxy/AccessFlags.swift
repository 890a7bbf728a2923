import ArgumentParser
import WProxyConfig

/// The `--auth`, `--auth-file`, `--allow` and `--deny-dest` values shared by forward and socks,
/// parsed once here (each command keeps its own help texts, which name its own refusals).
struct AccessFlags {
    var auth: [Credential]
    var allow: [CIDR]
    var denyDest: [DestinationRule]

    init(auth: [String], authFile: String?, allow: [String], denyDest: [String]) throws {
        self.auth = try auth.map { try parseFlag("--auth", $0, Credential.init(parsing:)) }
        if let authFile {
            self.auth += try parseFlag("--auth-file", authFile, Credential.load(file:))
        }
        self.allow = try allow.map { try parseFlag("--allow", $0, CIDR.init(parsing:)) }
        self.denyDest = try denyDest.map { try parseFlag("--deny-dest", $0, DestinationRule.init(parsing:)) }
    }

    /// SPEC's open-proxy refusal (exit 64) for a listener beyond loopback with neither auth nor allow.
    func refuseOpenProxy(on listen: [ListenAddress]) throws {
        if let refusal = Configuration.openProxyRefusal(listen: listen, hasAuth: !auth.isEmpty, hasAllow: !allow.isEmpty) {
            throw ValidationError(refusal)
        }
    }
}
