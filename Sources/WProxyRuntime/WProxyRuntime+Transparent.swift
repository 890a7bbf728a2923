#if canImport(Glibc)
import Glibc
#endif
import WProxyConfig
import WProxyCore
import WProxyTransparent

extension Configuration {
    /// The capabilities that must survive `--user`: `CAP_NET_ADMIN` while a listener takes TPROXY
    /// traffic (transparent sockets), nothing otherwise.
    var requiredCapabilities: Set<Capability> {
        listeners.contains { $0.transparent?.tproxy == true } ? [.netAdmin] : []
    }
}

extension WProxyRuntime {
    /// The text `wproxy transparent --print-iptables` prints; nothing is changed or bound.
    /// The OUTPUT exemption names `user`, or the user running this command when there is none.
    package static func iptablesRules(
        listener: ListenerConfig, ports: PortList, user: String?
    ) throws(RuntimeError) -> String {
        guard let listen = listener.listen.first else { throw RuntimeError("--print-iptables needs a --listen address") }
        let owner = user ?? currentUserName()
        do {
            var text = try IptablesRules(
                listen: listen, ports: ports, tproxy: listener.transparent?.tproxy ?? false, owner: owner
            ).render()
            if user == nil && geteuid() == 0 {
                text = "# Without --user wproxy runs as root, so every program running as root would bypass it:\n"
                    + "# start it with --user NAME and print the rules again with the same --user.\n" + text
            }
            return text
        } catch {
            throw RuntimeError("\(error)")
        }
    }

    private static func currentUserName() -> String {
        let uid = geteuid()
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return String(cString: entry.pw_name)
        }
        return String(uid)
    }
}
