import WProxyConfig

/// The iptables, ip rule and ip route commands that divert traffic to a transparent listener,
/// as `wproxy transparent --print-iptables --ports …` prints them. Pure text: nothing is run.
///
/// `REDIRECT` (default): nat `OUTPUT` for this machine's own connections, exempting the proxy's
/// user with `-m owner ! --uid-owner` so its outgoing connections are not diverted back to it;
/// nat `PREROUTING` for routed traffic when the listener is not loopback-only (REDIRECT there
/// sends to the incoming interface's address, which a loopback listener never sees).
///
/// `TPROXY`: policy routing that delivers packets marked 0x1 locally, mangle `PREROUTING` rules
/// that mark packets of established transparent sockets and hand new connections to the listener,
/// and mangle `OUTPUT` marks (with the same owner exemption) that loop this machine's own
/// connections through `lo` into `PREROUTING`.
package struct IptablesRules: Sendable {
    package enum Family: Sendable {
        case ipv4, ipv6

        var iptables: String { self == .ipv4 ? "iptables" : "ip6tables" }
        var ip: String { self == .ipv4 ? "ip" : "ip -6" }
        var anyAddress: String { self == .ipv4 ? "0.0.0.0/0" : "::/0" }
    }

    package struct Error: Swift.Error, CustomStringConvertible {
        package let description: String
    }

    /// Packets with this mark bit are routed to the local stack (TPROXY).
    package static let mark = "0x1/0x1"
    /// The routing table holding the `local` default route (TPROXY).
    package static let table = 100
    /// The most ports (a range counts as two) one `-m multiport` match takes.
    static let multiportLimit = 15

    package let listen: ListenAddress
    package let ports: PortList
    package let tproxy: Bool
    /// The user wproxy runs as (`--user`, or the current one), exempt from OUTPUT diversion.
    package let owner: String

    package init(listen: ListenAddress, ports: PortList, tproxy: Bool, owner: String) throws(Error) {
        guard listen.port != 0 else {
            throw Error(description: "--print-iptables needs a fixed --listen port, not 0")
        }
        self.listen = listen
        self.ports = ports
        self.tproxy = tproxy
        self.owner = owner
    }

    /// The address families the listener serves, from its host.
    package var families: [Family] {
        guard let host = listen.host else { return [.ipv4, .ipv6] }
        if host == "::" { return [.ipv4, .ipv6] }
        if host == "localhost" { return [.ipv4] }
        return host.contains(":") ? [.ipv6] : [.ipv4]
    }

    /// True when only this machine can reach the listener.
    var loopbackOnly: Bool { listen.isLoopback }

    /// Comment lines start with `#`; every other line is one command to run as root.
    package func render() -> String {
        var lines = ["# wproxy transparent --listen \(listen)\(tproxy ? " --tproxy" : ""): rules for tcp ports \(ports)"]
        lines.append("# Printed only: nothing has been changed. Run these as root, in this order.")
        for family in families {
            lines.append("")
            lines += tproxy ? tproxyRules(family) : redirectRules(family)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func redirectRules(_ family: Family) -> [String] {
        let target: String
        if let host = listen.host, !["localhost", "127.0.0.1", "::1", "0.0.0.0", "::"].contains(host) {
            target = "DNAT --to-destination \(HostPort(host: host, port: listen.port))"
        } else {
            target = "REDIRECT --to-ports \(listen.port)"
        }
        var lines = [
            "# \(family == .ipv4 ? "IPv4" : "IPv6"): connections made on this machine (nat OUTPUT); wproxy's own, as user \(owner), are exempt",
        ]
        for match in portMatches() {
            lines.append("\(family.iptables) -t nat -A OUTPUT -p tcp \(match) -m owner ! --uid-owner \(owner) -j \(target)")
        }
        if loopbackOnly {
            lines.append("# Routed traffic (nat PREROUTING) needs a listener on a non-loopback address, e.g. --listen :\(listen.port)")
        } else {
            lines.append("# connections routed through this machine (nat PREROUTING), except those to this machine itself")
            for match in portMatches() {
                lines.append("\(family.iptables) -t nat -A PREROUTING -p tcp \(match) -m addrtype ! --dst-type LOCAL -j \(target)")
            }
        }
        return lines
    }

    private func tproxyRules(_ family: Family) -> [String] {
        var onIP = ""
        if let host = listen.host, host != "0.0.0.0", host != "::" {
            onIP = " --on-ip \(host == "localhost" ? "127.0.0.1" : host)"
        }
        var lines = [
            "# \(family == .ipv4 ? "IPv4" : "IPv6"): deliver packets marked \(Self.mark) to this machine",
            "\(family.ip) rule add fwmark \(Self.mark) lookup \(Self.table)",
            "\(family.ip) route add local \(family.anyAddress) dev lo table \(Self.table)",
            "# packets of connections wproxy already holds: mark and accept",
            "\(family.iptables) -t mangle -A PREROUTING -p tcp -m socket --transparent -j MARK --set-mark \(Self.mark)",
            "\(family.iptables) -t mangle -A PREROUTING -p tcp -m socket --transparent -j ACCEPT",
            "# new connections routed through this machine go to wproxy (mangle PREROUTING)",
        ]
        for match in portMatches() {
            lines.append(
                "\(family.iptables) -t mangle -A PREROUTING -p tcp \(match) -m addrtype ! --dst-type LOCAL"
                    + " -j TPROXY\(onIP) --on-port \(listen.port) --tproxy-mark \(Self.mark)")
        }
        lines.append("# optional, connections made on this machine: mark them so they loop through lo into PREROUTING;")
        lines.append("# wproxy's own, as user \(owner), are exempt")
        for match in portMatches() {
            lines.append(
                "\(family.iptables) -t mangle -A OUTPUT -p tcp \(match) -m owner ! --uid-owner \(owner)"
                    + " -m addrtype ! --dst-type LOCAL -j MARK --set-mark \(Self.mark)")
        }
        return lines
    }

    /// `--dport N`, `--dport A:B`, or `-m multiport --dports …` in groups that fit the match's limit.
    func portMatches() -> [String] {
        if ports.ranges.count == 1, let only = ports.ranges.first {
            return ["--dport \(Self.text(only))"]
        }
        var groups: [[PortList.Range]] = [[]]
        var used = 0
        for range in ports.ranges {
            let cost = range.low == range.high ? 1 : 2
            if used + cost > Self.multiportLimit {
                groups.append([])
                used = 0
            }
            groups[groups.count - 1].append(range)
            used += cost
        }
        return groups.map { group in
            group.count == 1 ? "--dport \(Self.text(group[0]))" : "-m multiport --dports \(group.map(Self.text).joined(separator: ","))"
        }
    }

    private static func text(_ range: PortList.Range) -> String {
        range.low == range.high ? "\(range.low)" : "\(range.low):\(range.high)"
    }
}
