import Testing
import WProxyConfig

@Suite struct DestinationRuleTests {
    @Test func classifiesRules() throws {
        #expect(try DestinationRule(parsing: "10.0.0.0/8") == .network(try CIDR(parsing: "10.0.0.0/8")))
        #expect(try DestinationRule(parsing: "127.0.0.1") == .network(try CIDR(parsing: "127.0.0.1/32")))
        #expect(try DestinationRule(parsing: "::1") == .network(try CIDR(parsing: "::1/128")))
        #expect(try DestinationRule(parsing: "Example.COM.") == .host("example.com"))
        #expect(try DestinationRule(parsing: "*.Example.com") == .suffix(".example.com"))
        #expect(try DestinationRule(parsing: "localhost") == .host("localhost"))
        #expect("\(try DestinationRule(parsing: "*.example.com"))" == "*.example.com")
    }

    @Test(arguments: ["", "*", "*.", "a..b", "bad host", "10.0.0.0/99", "host/8", "a*.example.com", "-.*.x", "exa mple"])
    func rejects(text: String) {
        #expect(throws: ConfigValueError.self) { try DestinationRule(parsing: text) }
    }

    @Test func matchesNames() throws {
        let rules = DestinationRules(try ["blocked.test", "*.ads.test", "10.0.0.0/8"].map(DestinationRule.init(parsing:)))
        #expect(rules.denying(host: "blocked.test") != nil)
        #expect(rules.denying(host: "BLOCKED.Test.") != nil)
        #expect(rules.denying(host: "sub.blocked.test") == nil)
        #expect(rules.denying(host: "x.ads.test") != nil)
        #expect(rules.denying(host: "a.b.ADS.test") != nil)
        #expect(rules.denying(host: "ads.test") == nil)
        #expect(rules.denying(host: "evilads.test") == nil)
        #expect(rules.denying(host: "10.1.2.3") != nil)
        #expect(rules.denying(host: "::ffff:10.1.2.3") != nil)
        #expect(rules.denying(host: "11.1.2.3") == nil)
        #expect(rules.denying(.v4(0x0A00_0001)) != nil)
        #expect(rules.hasNetworkRules)
        #expect(!DestinationRules([.host("a")]).hasNetworkRules)
    }

    @Test func nameRulesDoNotMatchAddressesAndViceVersa() throws {
        let byName = DestinationRules([try DestinationRule(parsing: "localhost")])
        #expect(byName.denying(host: "127.0.0.1") == nil)
        let byAddress = DestinationRules([try DestinationRule(parsing: "127.0.0.0/8")])
        #expect(byAddress.denying(host: "localhost") == nil)  // the caller resolves and checks the addresses
    }
}
