import Testing
import WProxyConfig

@Suite struct CredentialTests {
    @Test func parsesUserAndPassword() throws {
        let plain = try Credential(parsing: "alice:secret")
        #expect(plain.user == "alice" && plain.password == "secret")
        let colons = try Credential(parsing: "bob:pa:ss:")
        #expect(colons.user == "bob" && colons.password == "pa:ss:")
        let empty = try Credential(parsing: "carol:")
        #expect(empty.password == "")
        #expect(try Credential(parsing: "ünï:cödé").user == "ünï")
    }

    @Test(arguments: ["alice", ":secret", "", "a\u{0}b:c", "a:b\nc", String(repeating: "u", count: 256) + ":p",
                      "u:" + String(repeating: "p", count: 256)])
    func rejects(text: String) {
        #expect(throws: ConfigValueError.self) { try Credential(parsing: text) }
    }

    @Test func passwordsStayOutOfMessages() {
        #expect("\(try! Credential(parsing: "alice:secret"))" == "alice:***")
        do {
            _ = try Credential(parsing: "topsecretnocolon")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("topsecret"))
        }
    }

    @Test func parsesAuthFiles() throws {
        let text = """
            # users
            alice:secret

              # indented comment
            bob:with:colons\r
            \t
            carol:
            """
        let credentials = try Credential.parseFile(contents: text, source: "users.txt")
        #expect(credentials.map(\.user) == ["alice", "bob", "carol"])
        #expect(credentials[1].password == "with:colons")
        #expect(try Credential.parseFile(contents: "", source: "empty").isEmpty)
    }

    @Test func authFileErrorsNameTheLine() {
        do {
            _ = try Credential.parseFile(contents: "alice:ok\n\nbroken line\n", source: "users.txt")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("users.txt:3: "))
        }
    }

    @Test func missingFileNamesThePath() {
        do {
            _ = try Credential.load(file: "/nonexistent/wproxy-users")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("/nonexistent/wproxy-users"))
        }
    }
}
