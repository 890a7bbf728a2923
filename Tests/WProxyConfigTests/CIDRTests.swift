import Testing
import WProxyConfig

@Suite struct CIDRTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), ("127.0.0.1", "127.0.0.1/32"),
        ("0.0.0.0/0", "0.0.0.0/0"), ("::1", "::1/128"), ("2001:db8::/32", "2001:db8::/32"),
        ("2001:db8:1:2::5/64", "2001:db8:1:2::/64"), ("[::1]/128", "::1/128"), ("::/0", "::/0"),
        ("192.168.1.255/31", "192.168.1.254/31"), ("::ffff:10.0.0.0/104", "::ffff:a00:0/104"),
    ])
    func parses(text: String, normalized: String) throws {
        #expect(try CIDR(parsing: text).description == normalized)
    }

    @Test(arguments: ["", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.256", "host.example",
                      "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "1.2.3.4.5", "01234.1.1.1", ":::1", "1::2::3",
                      "12345::", "::g", "10.0.0.0/ 8"])
    func rejects(text: String) {
        #expect(throws: ConfigValueError.self) { try CIDR(parsing: text) }
    }

    @Test func containsIPv4() throws {
        let net = try CIDR(parsing: "10.0.0.0/8")
        #expect(net.contains("10.0.0.1"))
        #expect(net.contains("10.255.255.255"))
        #expect(!net.contains("11.0.0.0"))
        #expect(!net.contains("9.255.255.255"))
        #expect(!net.contains("not an ip"))
        #expect(!net.contains("::1"))
        let host = try CIDR(parsing: "192.0.2.7")
        #expect(host.contains("192.0.2.7") && !host.contains("192.0.2.8"))
        #expect(try CIDR(parsing: "0.0.0.0/0").contains("203.0.113.9"))
    }

    @Test func containsIPv6() throws {
        let net = try CIDR(parsing: "2001:db8::/32")
        #expect(net.contains("2001:db8::1"))
        #expect(net.contains("2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(!net.contains("2001:db9::1"))
        #expect(!net.contains("10.0.0.1"))
        #expect(try CIDR(parsing: "::1").contains("[::1]"))
        #expect(try CIDR(parsing: "::/0").contains("fe80::1%eth0"))
        let sixtyFive = try CIDR(parsing: "2001:db8::8000:0:0:0/65")
        #expect(sixtyFive.contains("2001:db8::ffff:0:0:1") && !sixtyFive.contains("2001:db8::7fff:0:0:1"))
    }

    @Test func ipv4MappedAddressesMatchIPv4Rules() throws {
        // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
        #expect(try CIDR(parsing: "127.0.0.0/8").contains("::ffff:127.0.0.1"))
        #expect(!(try CIDR(parsing: "10.0.0.0/8").contains("::ffff:127.0.0.1")))
        #expect(try CIDR(parsing: "::ffff:0:0/96").contains("127.0.0.1"))
        #expect(!(try CIDR(parsing: "2001:db8::/32").contains("127.0.0.1")))
    }

    @Test func ipAddressForms() {
        #expect(IPAddress("1.2.3.4") == .v4(0x0102_0304))
        #expect(IPAddress("::") == .v6(high: 0, low: 0))
        #expect(IPAddress("::ffff:1.2.3.4")?.mappedIPv4 == 0x0102_0304)
        #expect(IPAddress("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress("2001:DB8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("127.0.0.9")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("::ffff:127.0.0.1")?.isLoopback == true)
        #expect(IPAddress("10.0.0.1")?.isLoopback == false)
        #expect(IPAddress("0.0.0.0")?.isUnspecified == true)
        for bad in ["", ":", "1.2.3", "1.2.3.4.", "a.b.c.d", "1:2:3:4:5:6:7:8:9", "::1::", "[::1", "1.2.3.4/8"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }
}
