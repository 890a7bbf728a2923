import Testing
import WProxyConfig

@Suite struct ConfigFileTests {
    private func load(_ text: String) throws(ConfigFileError) -> Configuration {
        try ConfigFile.load(text: text, fileName: "test.toml")
    }

    private func issues(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test func decodesGlobalAndATCPListener() throws {
        let config = try load(
            """
            [global]
            workers = 2
            access_log = "off"
            log_format = "json"
            metrics = "127.0.0.1:9100"
            drain_timeout = "3s"

            [[listeners]]
            mode = "tcp"
            name = "db"
            listen = ["127.0.0.1:5432", "[::1]:5432"]
            upstream = ["10.0.0.1:5432,weight=3", "10.0.0.2:5432,backup"]
            lb = "least-conn"
            health_check = "tcp"
            health_interval = "2s"
            retries = 2
            sni = ["*.example.test=127.0.0.1:8443"]
            proxy_protocol = "v2"
            max_connections = 50
            connect_timeout = "1s"
            idle_timeout = "30s"
            """)
        #expect(config.global.workers == 2)
        #expect(config.global.accessLog == .off)
        #expect(config.global.logFormat == .json)
        #expect(config.global.metrics == ListenAddress(host: "127.0.0.1", port: 9100))
        #expect(config.global.drainTimeout == .seconds(3))
        let listener = try #require(config.listeners.first)
        #expect(listener.name == "db")
        #expect(listener.listen.count == 2)
        #expect(listener.maxConnections == 50)
        #expect(listener.connectTimeout == .seconds(1))
        #expect(listener.idleTimeout == .seconds(30))
        let tcp = try #require(listener.tcp)
        #expect(tcp.upstreams.map(\.weight) == [3, 1])
        #expect(tcp.upstreams[1].backup)
        #expect(tcp.lb == .leastConn)
        #expect(tcp.healthCheck && tcp.healthInterval == .seconds(2))
        #expect(tcp.retries == 2)
        #expect(tcp.sni.first?.pattern == "*.example.test")
        #expect(tcp.proxyProtocol == .v2)
    }

    @Test func defaultsApplyWhenKeysAreAbsent() throws {
        let config = try load("[[listeners]]\nmode = \"tcp\"\nlisten = \"127.0.0.1:1\"\nupstream = \"127.0.0.1:2\"\n")
        #expect(config.global.accessLog == .stdout)
        #expect(config.listeners[0].maxConnections == 10000)
        #expect(config.listeners[0].tcp?.retries == 1)
    }

    @Test func everyErrorIsReportedWithItsLine() {
        let found = issues(
            """
            [global]
            workers = "two"
            colour = "blue"

            [[listeners]]
            mode = "tcp"
            listen = ["127.0.0.1:99999"]
            upstream = ["nohost"]
            lb = "fastest"
            retries = 1000
            idle_timeout = "soon"
            unknown_key = true

            [[listeners]]
            mode = "teleport"
            """)
        #expect(found == [
            "test.toml:2: global.workers: expected a whole number, got string",
            "test.toml:3: global.colour: unknown key",
            "test.toml:7: listeners[1].listen: port 99999 in '127.0.0.1:99999' is out of range 0-65535",
            "test.toml:8: listeners[1].upstream: 'nohost' has no port: expected HOST:PORT",
            "test.toml:9: listeners[1].lb: 'fastest' is not one of round-robin, least-conn, random, p2c, ip-hash",
            "test.toml:10: listeners[1].retries: must be from 0 to 100, not 1000",
            "test.toml:11: listeners[1].idle_timeout: 'soon' is not a duration: expected e.g. 250ms, 5s, 2m, 1h",
            "test.toml:12: listeners[1].unknown_key: unknown key",
            "test.toml:15: listeners[2].mode: 'teleport' is not one of reverse, forward, socks, transparent, tcp",
        ])
    }

    @Test func syntaxErrorsNameLineAndColumn() {
        let found = issues("[[listeners]]\nmode = \"tcp\nlisten = 1\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("test.toml:2:"))
    }

    @Test func crossListenerProblemsPointAtTheListener() {
        let found = issues(
            """
            [[listeners]]
            mode = "tcp"
            listen = ["127.0.0.1:7000"]
            upstream = ["127.0.0.1:1"]

            [[listeners]]
            mode = "tcp"
            listen = ["127.0.0.1:7000"]
            """)
        #expect(found.contains("test.toml:6: listener 2 (tcp): 127.0.0.1:7000 is already used by listener 1"))
        #expect(found.contains("test.toml:6: listener 2 (tcp): needs at least one upstream (or an sni route)"))
    }

    @Test func missingListenersAndUnknownTopLevelKeys() {
        let found = issues("workers = 2\n")
        #expect(found.contains("test.toml:1: no [[listeners]]: a config needs at least one listener"))
        #expect(found.contains { $0.contains("workers: unknown key") })
    }

    @Test func wrongShapesAreErrorsNotCrashes() {
        #expect(!issues("listeners = 3\n").isEmpty)
        #expect(!issues("listeners = [1, 2]\n").isEmpty)
        #expect(!issues("[[listeners]]\nmode = 1\n").isEmpty)
        #expect(!issues("[[listeners]]\nmode = \"tcp\"\nlisten = [1]\nupstream = \"127.0.0.1:1\"\n").isEmpty)
        #expect(!issues("[global]\nworkers = 0\n[[listeners]]\nmode = \"tcp\"\nlisten = \"127.0.0.1:1\"\nupstream = \"127.0.0.1:2\"\n").isEmpty)
    }
}

@Suite struct ConfigFileModeKeysTests {
    @Test func decodesSocksForwardAndChains() throws {
        let config = try ConfigFile.load(
            text: """
                [[listeners]]
                mode = "socks"
                listen = ["127.0.0.1:1080"]
                auth = [{ user = "alice", password = "secret" }, "bob:pw"]
                allow = ["127.0.0.0/8"]
                deny_dest = ["*.internal.test", "10.0.0.0/8"]
                handshake_timeout = "3s"
                upstream_proxy = ["socks5://u:p@127.0.0.1:9050", "http://127.0.0.1:3128"]

                [[listeners]]
                mode = "forward"
                origin_pool_size = 8
                origin_idle_timeout = "5s"

                [[listeners]]
                mode = "transparent"
                tproxy = true
                sniff = true
                """, fileName: "t.toml")
        let socks = try #require(config.listeners[0].socks)
        #expect(socks.auth.count == 2)
        #expect(socks.allow.count == 1 && socks.denyDest.count == 2)
        #expect(socks.handshakeTimeout == .seconds(3))
        #expect(config.listeners[0].upstreamProxies.count == 2)
        #expect(config.listeners[1].listen == [ListenAddress(host: "127.0.0.1", port: 3128)], "the mode's default listen")
        #expect(config.listeners[1].forward?.originPoolSize == 8)
        #expect(config.listeners[2].transparent == TransparentOptions(tproxy: true, sniff: true))
        #expect(config.listeners[2].listen == [ListenAddress(host: "127.0.0.1", port: 12345)])
    }

    @Test func badModeKeysAreReportedWithLines() {
        do {
            _ = try ConfigFile.load(
                text: """
                    [[listeners]]
                    mode = "socks"
                    auth = [{ user = "alice" }, 3, "nocolon"]
                    allow = ["300.0.0.0/8"]
                    upstream_proxy = ["ftp://x:1"]
                    tproxy = true
                    """, fileName: "t.toml")
            Issue.record("expected errors")
        } catch {
            let lines = error.issues.map(\.line)
            #expect(lines == [3, 3, 3, 4, 5, 6], "\(error)")
        }
    }
}
