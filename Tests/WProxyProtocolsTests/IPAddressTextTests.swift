import Testing

@testable import WProxyProtocols

@Suite struct IPAddressTextTests {
    @Test(arguments: [
        ("0.0.0.0", [0, 0, 0, 0]),
        ("192.168.0.1", [192, 168, 0, 1]),
        ("255.255.255.255", [255, 255, 255, 255]),
    ] as [(String, [UInt8])])
    func validIPv4(_ text: String, _ bytes: [UInt8]) {
        #expect(IPAddressText.ipv4Bytes(text.utf8) == bytes)
        #expect(IPAddressText.ipv4Text(bytes) == text)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1234.1.1.1"])
    func invalidIPv4(_ text: String) {
        #expect(IPAddressText.ipv4Bytes(text.utf8) == nil)
    }

    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group stays
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run is shortened
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of equal runs
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ])
    func validIPv6(_ text: String, _ canonical: String) throws {
        let bytes = try #require(IPAddressText.ipv6Bytes(text.utf8))
        #expect(bytes.count == 16)
        #expect(IPAddressText.ipv6Text(bytes) == canonical)
        #expect(IPAddressText.ipv6Bytes(canonical.utf8) == bytes)
    }

    @Test(arguments: [
        "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1::2:", "12345::",
        "g::1", "fe80::1%eth0", "::1.2.3", "1.2.3.4::", "::ffff:256.0.0.1", "[::1]", "1:2:3:4:5:6:7:8::",
        "1:2:3:4:5:6:1.2.3.4:8",
    ])
    func invalidIPv6(_ text: String) {
        #expect(IPAddressText.ipv6Bytes(text.utf8) == nil)
    }

    @Test func v4Mapped() {
        #expect(IPAddressText.v4Mapped([192, 0, 2, 1]) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1])
    }
}
