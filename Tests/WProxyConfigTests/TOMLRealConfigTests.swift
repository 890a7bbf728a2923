import Testing
import WProxyConfig

@Suite struct TOMLRealConfigTests {
    static let config = """
        [global]
        workers = 2
        access_log = "-"
        metrics = "127.0.0.1:9100"

        [[listeners]]
        mode = "reverse"                     # reverse | forward | socks | transparent | tcp
        listen = ["127.0.0.1:8080"]
        tls = { self_signed = true }

          [[listeners.sites]]
          hosts = ["app.example.test", "*.example.test"]

            [[listeners.sites.routes]]
            path = "/api/"
            upstream = ["http://127.0.0.1:3000", "http://127.0.0.1:3001,weight=2"]
            lb = "least-conn"
            health_check = { path = "/healthz", interval = "2s" }
            strip_prefix = false

            [[listeners.sites.routes]]
            path = "/"
            static = "./public"

        [[listeners]]
        mode = "socks"
        listen = ["127.0.0.1:1080"]
        auth = [{ user = "alice", password = "secret" }]
        allow = ["127.0.0.0/8"]
        """

    @Test func globalSection() throws {
        let document = try TOMLDocument(parsing: Self.config, fileName: "wproxy.toml")
        #expect(document.root.keys == ["global", "listeners"])
        let global = try #require(document.root["global"]?.tableValue)
        #expect(global.line == 1)
        #expect(global["workers"]?.integerValue == 2)
        #expect(global.keyLine("workers") == 2)
        #expect(global["access_log"]?.stringValue == "-")
        #expect(global["metrics"]?.stringValue == "127.0.0.1:9100")
        #expect(global["metrics"]?.line == 4)
    }

    @Test func reverseListener() throws {
        let root = parseTOML(Self.config)
        let listeners = try #require(root["listeners"]?.arrayValue)
        #expect(listeners.count == 2)
        #expect(root["listeners"]?.line == 6)
        let reverse = try #require(listeners[0].tableValue)
        #expect(reverse.line == 6)
        #expect(reverse["mode"]?.stringValue == "reverse")
        #expect(reverse.keyLine("mode") == 7)
        #expect(reverse["listen"]?.arrayValue?.compactMap(\.stringValue) == ["127.0.0.1:8080"])
        #expect(reverse["tls"]?.tableValue?["self_signed"]?.boolValue == true)
        #expect(reverse["tls"]?.line == 9)

        let site = try #require(reverse["sites"]?.arrayValue?.first?.tableValue)
        #expect(site.line == 11)
        #expect(site["hosts"]?.arrayValue?.compactMap(\.stringValue) == ["app.example.test", "*.example.test"])
        #expect(site.keyLine("hosts") == 12)

        let routeValues = try #require(site["routes"]?.arrayValue)
        let routes = routeValues.compactMap(\.tableValue)
        #expect(routes.count == 2)
        #expect(routes.map(\.line) == [14, 21])
        #expect(routes[0]["upstream"]?.arrayValue?.last?.stringValue == "http://127.0.0.1:3001,weight=2")
        #expect(routes[0]["lb"]?.stringValue == "least-conn")
        let healthCheck = try #require(routes[0]["health_check"]?.tableValue)
        #expect(healthCheck.keys == ["path", "interval"])
        #expect(healthCheck["interval"]?.stringValue == "2s")
        #expect(routes[0].keyLine("health_check") == 18)
        #expect(routes[0]["strip_prefix"]?.boolValue == false)
        #expect(routes[0].keyLine("strip_prefix") == 19)
        #expect(routes[1]["static"]?.stringValue == "./public")
        #expect(routes[1].keyLine("static") == 23)
        #expect(routes[1]["lb"] == nil)
    }

    @Test func socksListener() throws {
        let root = parseTOML(Self.config)
        let socks = try #require(root["listeners"]?.arrayValue?.last?.tableValue)
        #expect(socks.line == 25)
        #expect(socks["mode"]?.stringValue == "socks")
        #expect(socks.keyLine("mode") == 26)
        let auth = try #require(socks["auth"]?.arrayValue?.first?.tableValue)
        #expect(auth["user"]?.stringValue == "alice")
        #expect(auth["password"]?.stringValue == "secret")
        #expect(socks["allow"]?.arrayValue?.first?.stringValue == "127.0.0.0/8")
        #expect(socks.keyLine("allow") == 29)
        #expect(socks["sites"] == nil)
    }

    @Test func configErrorsCanNameTheKey() throws {
        var lines = Self.config.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[16] == "    lb = \"least-conn\"")
        lines.insert("    lb = \"random\"", at: 17)
        let text = lines.joined(separator: "\n")
        do {
            _ = try TOMLDocument(parsing: text, fileName: "wproxy.toml")
            Issue.record("duplicate key accepted")
        } catch {
            #expect(error.description == "wproxy.toml:18:5: duplicate key 'lb' (first defined on line 17)")
        }
    }
}
