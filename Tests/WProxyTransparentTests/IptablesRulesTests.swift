import Testing
import WProxyConfig

@testable import WProxyTransparent

@Suite struct IptablesRulesTests {
    func rules(_ listen: String, _ ports: String, tproxy: Bool = false) throws -> IptablesRules {
        try IptablesRules(
            listen: ListenAddress(parsing: listen), ports: PortList(parsing: ports), tproxy: tproxy, owner: "proxyuser")
    }

    func commands(_ rules: IptablesRules) -> [String] {
        rules.render().split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    @Test func laptopRedirectIsOutputOnlyWithOwnerExemption() throws {
        #expect(commands(try rules("127.0.0.1:12345", "80,443")) == [
            "iptables -t nat -A OUTPUT -p tcp -m multiport --dports 80,443 -m owner ! --uid-owner proxyuser -j REDIRECT --to-ports 12345",
        ])
    }

    @Test func routerRedirectAddsPreroutingForBothFamilies() throws {
        let lines = commands(try rules(":12345", "80"))
        #expect(lines == [
            "iptables -t nat -A OUTPUT -p tcp --dport 80 -m owner ! --uid-owner proxyuser -j REDIRECT --to-ports 12345",
            "iptables -t nat -A PREROUTING -p tcp --dport 80 -m addrtype ! --dst-type LOCAL -j REDIRECT --to-ports 12345",
            "ip6tables -t nat -A OUTPUT -p tcp --dport 80 -m owner ! --uid-owner proxyuser -j REDIRECT --to-ports 12345",
            "ip6tables -t nat -A PREROUTING -p tcp --dport 80 -m addrtype ! --dst-type LOCAL -j REDIRECT --to-ports 12345",
        ])
    }

    @Test func specificAddressUsesDNAT() throws {
        let lines = commands(try rules("[fd00::1]:12345", "8000-8100"))
        #expect(lines.allSatisfy { $0.hasPrefix("ip6tables") })
        #expect(lines.first == "ip6tables -t nat -A OUTPUT -p tcp --dport 8000:8100 -m owner ! --uid-owner proxyuser -j DNAT --to-destination [fd00::1]:12345")
    }

    @Test func tproxyRules() throws {
        let lines = commands(try rules("127.0.0.1:12345", "80,443", tproxy: true))
        #expect(lines == [
            "ip rule add fwmark 0x1/0x1 lookup 100",
            "ip route add local 0.0.0.0/0 dev lo table 100",
            "iptables -t mangle -A PREROUTING -p tcp -m socket --transparent -j MARK --set-mark 0x1/0x1",
            "iptables -t mangle -A PREROUTING -p tcp -m socket --transparent -j ACCEPT",
            "iptables -t mangle -A PREROUTING -p tcp -m multiport --dports 80,443 -m addrtype ! --dst-type LOCAL -j TPROXY --on-ip 127.0.0.1 --on-port 12345 --tproxy-mark 0x1/0x1",
            "iptables -t mangle -A OUTPUT -p tcp -m multiport --dports 80,443 -m owner ! --uid-owner proxyuser -m addrtype ! --dst-type LOCAL -j MARK --set-mark 0x1/0x1",
        ])
    }

    @Test func manyPortsAreSplitIntoMultiportGroups() throws {
        let ports = (1...20).map(String.init).joined(separator: ",")
        let matches = try rules("127.0.0.1:1", ports).portMatches()
        let first: String = (1...15).map { String($0) }.joined(separator: ",")
        let second: String = (16...20).map { String($0) }.joined(separator: ",")
        #expect(matches == ["-m multiport --dports \(first)", "-m multiport --dports \(second)"])
        let ranges = try rules("127.0.0.1:1", "1-2,3-4,5-6,7-8,9-10,11-12,13-14,15").portMatches()
        #expect(ranges == ["-m multiport --dports 1:2,3:4,5:6,7:8,9:10,11:12,13:14,15"])
    }

    @Test func portZeroIsRefused() throws {
        #expect(throws: IptablesRules.Error.self) { try rules("127.0.0.1:0", "80") }
    }
}
