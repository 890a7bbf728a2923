import Testing
import WProxyConfig

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("8080", nil, 8080), (":8080", nil, 8080), ("127.0.0.1:80", "127.0.0.1", 80),
        ("[::1]:443", "::1", 443), ("localhost:0", "localhost", 0), ("0.0.0.0:1080", "0.0.0.0", 1080),
    ] as [(String, String?, Int)])
    func parsesEveryForm(text: String, host: String?, port: Int) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
    }

    @Test(arguments: ["", ":", "abc", ":99999", "host:", "host:x", "::1:80", "[::1", "[::1]80", "[127.0.0.1]:80", "-1", "a b:80"])
    func rejectsGarbage(text: String) {
        #expect(throws: ConfigValueError.self) { try ListenAddress(parsing: text) }
    }

    @Test func describesForLogs() throws {
        #expect(try ListenAddress(parsing: "[::1]:443").description == "[::1]:443")
        #expect(try ListenAddress(parsing: "8080").description == ":8080")
        #expect(try ListenAddress(parsing: "127.0.0.1:8080").isLoopback)
        #expect(try !ListenAddress(parsing: ":8080").isLoopback)
    }

    @Test func errorMessageNamesTheProblem() {
        do {
            _ = try ListenAddress(parsing: "127.0.0.1:70000")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("70000"))
            #expect(error.description.contains("out of range"))
        }
    }
}
