/// A validated request from a SOCKS client, as the server state machine hands it to the handler.
///
/// Guarantees: `command` is never `.other`; a `.v4` request has command `.connect` or `.bind` and a
/// target that is `.ipv4` or (SOCKS4a) `.domain`. `username` is the RFC 1929 user (SOCKS5) or the
/// non-empty USERID (SOCKS4), for logging and policy.
package struct SOCKSRequest: Hashable, Sendable {
    package var version: SOCKSVersion
    package var command: SOCKSCommand
    package var target: SOCKSTarget
    package var username: String?

    package init(version: SOCKSVersion, command: SOCKSCommand, target: SOCKSTarget, username: String? = nil) {
        self.version = version
        self.command = command
        self.target = target
        self.username = username
    }
}
