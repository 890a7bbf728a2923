import Testing
import WProxyConfig

@Suite struct ReverseSitesConfigTests {
    private func load(_ text: String) throws(ConfigFileError) -> Configuration {
        try ConfigFile.load(text: text, fileName: "sites.toml")
    }

    private func issues(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    private let header = """
        [[listeners]]
        mode = "reverse"
        listen = ["127.0.0.1:8080"]

        """

    @Test func decodesSitesRoutesAndEveryRouteKey() throws {
        let config = try load(
            header + """
            lb = "least-conn"
            retries = 3
              [[listeners.sites]]
              hosts = ["App.Example.test", "*.example.test"]
                [[listeners.sites.routes]]
                path = "/api/"
                upstream = ["http://127.0.0.1:3000", "http://127.0.0.1:3001,weight=2"]
                lb = "hash"
                hash_key = "header:X-User"
                health_check = { path = "/healthz", interval = "2s" }
                retries = 0
                upstream_timeout = "5s"
                strip_prefix = true
                request_headers = { add = { "X-A" = "1" }, remove = ["X-B"] }
                response_headers = { add = { "X-C" = "2" }, remove = ["Server"] }
                [[listeners.sites.routes]]
                path = "/"
                static = "./public"
              [[listeners.sites]]
                [[listeners.sites.routes]]
                path = "/"
                upstream = "http://127.0.0.1:4000"
                health_check = "/up"
            """)
        let reverse = try #require(config.listeners.first?.reverse)
        #expect(reverse.sites.count == 2)
        let app = reverse.sites[0]
        #expect(app.hosts == ["app.example.test", "*.example.test"])
        #expect(!app.isDefault && reverse.sites[1].isDefault)
        let api = app.routes[0]
        #expect(api.path == "/api/" && api.upstreams.count == 2 && api.upstreams[1].weight == 2)
        #expect(api.lb == .hash && api.hashKey == .header("x-user"))
        #expect(api.healthCheckPath == "/healthz" && api.healthInterval == .seconds(2))
        #expect(api.retries == 0 && api.upstreamTimeout == .seconds(5) && api.stripPrefix)
        #expect(api.requestHeaders == HeaderRewrite(add: [HeaderPair("X-A", "1")], remove: ["X-B"]))
        #expect(api.responseHeaders == HeaderRewrite(add: [HeaderPair("X-C", "2")], remove: ["Server"]))
        let files = app.routes[1]
        #expect(files.staticRoot == "./public" && files.upstreams.isEmpty && !files.stripPrefix)
        // Routes inherit the listener-level lb and retries unless they set their own.
        #expect(files.lb == .leastConn && files.retries == 3)
        let fallback = reverse.sites[1].routes[0]
        #expect(fallback.healthCheckPath == "/up" && fallback.upstreams.count == 1)
    }

    @Test func listenerWithoutSitesIsOneDefaultSiteWithOneRootRoute() throws {
        let config = try load(header + "upstream = [\"http://127.0.0.1:3000\"]\nretries = 2\nstatic = \"./www\"\n")
        let reverse = try #require(config.listeners.first?.reverse)
        #expect(reverse.sites.isEmpty)
        let sites = reverse.effectiveSites
        #expect(sites.count == 1 && sites[0].isDefault && sites[0].routes.count == 1)
        let route = sites[0].routes[0]
        #expect(route.path == "/" && route.upstreams == reverse.upstreams && route.retries == 2 && route.staticRoot == "./www")
    }

    @Test func routeWithNeitherUpstreamNorStaticIsReportedAtItsLine() {
        let found = issues(header + "  [[listeners.sites]]\n    [[listeners.sites.routes]]\n    path = \"/x\"\n")
        #expect(found == ["sites.toml:5: listeners[1].sites[1].routes[1]: route /x: needs upstream or static"])
    }

    @Test func duplicatePathsAndBadPathsAreReportedAtTheirLines() {
        let found = issues(
            header + """
              [[listeners.sites]]
                [[listeners.sites.routes]]
                path = "/a"
                upstream = ["http://127.0.0.1:1"]
                [[listeners.sites.routes]]
                path = "/a"
                static = "."
                [[listeners.sites.routes]]
                path = "b"
                static = "."
                [[listeners.sites.routes]]
                upstream = ["http://127.0.0.1:1"]
            """)
        #expect(found.contains("sites.toml:9: listeners[1].sites[1].routes[2].path: '/a' is already the path of route 1 of this site"))
        #expect(found.contains("sites.toml:12: listeners[1].sites[1].routes[3].path: must start with '/', not 'b'"))
        #expect(found.contains("sites.toml:14: listeners[1].sites[1].routes[4]: missing 'path'"))
        #expect(found.count == 3)
    }

    @Test func everyOtherSiteErrorKind() {
        let found = issues(
            header + """
            upstream = ["http://127.0.0.1:1"]
              [[listeners.sites]]
              hosts = ["a.test", "a.test", "x.*.test", "b.test:80"]
              colour = "red"
                [[listeners.sites.routes]]
                path = "/"
                upstream = ["ftp://nope"]
                lb = "fastest"
                strip_prefix = "yes"
                request_headers = { add = { "Bad Name" = "1", "Content-Length" = "5" }, remove = ["X-Ok"], keep = [] }
                response_headers = { add = { "X-Line" = "a\\nb" } }
              [[listeners.sites]]
              hosts = []
              [[listeners.sites]]
              hosts = ["*"]
                [[listeners.sites.routes]]
                path = "/"
                static = "."
                lb = "hash"
            """)
        let expected = [
            "sites.toml:4: listeners[1].upstream: not used when sites are given: put upstreams in a route",
            "sites.toml:6: listeners[1].sites[1].hosts: 'a.test' is already a host of site 1",
            "sites.toml:6: listeners[1].sites[1].hosts: 'x.*.test': a wildcard is only allowed as a leading '*.'",
            "sites.toml:6: listeners[1].sites[1].hosts: 'b.test:80': give host names without a port",
            "sites.toml:7: listeners[1].sites[1].colour: unknown key (a site takes hosts and routes)",
            "sites.toml:10: listeners[1].sites[1].routes[1].upstream: 'ftp://nope' is not an http:// or https:// URL",
            "sites.toml:11: listeners[1].sites[1].routes[1].lb: 'fastest' is not one of round-robin, least-conn, random, p2c, ip-hash, hash",
            "sites.toml:12: listeners[1].sites[1].routes[1].strip_prefix: expected true or false, got string",
            "sites.toml:13: listeners[1].sites[1].routes[1].request_headers.add: 'Bad Name' is not a valid header name",
            "sites.toml:13: listeners[1].sites[1].routes[1].request_headers.keep: unknown key (request_headers takes add = { NAME = VALUE } and remove = [NAME])",
            "sites.toml:14: listeners[1].sites[1].routes[1].response_headers.add.X-Line: a header value cannot hold CR, LF or NUL",
            "sites.toml:15: listeners[1].sites[2]: needs at least one [[listeners.sites.routes]]",
            "sites.toml:17: listeners[1].sites[3]: a second default site (no hosts or \"*\"); only one may catch every host",
            "sites.toml:19: listeners[1].sites[3].routes[1]: route /: lb 'hash' needs a hash_key (header:NAME, cookie:NAME, query:NAME or path)",
        ]
        for line in expected { #expect(found.contains(line), "missing: \(line)\nfound: \(found)") }
        // Content-Length is managed by the proxy.
        #expect(found.contains { $0.contains("header 'Content-Length' is managed by the proxy") })
    }

    @Test func validationCoversSitesBuiltInCode() {
        var options = ReverseOptions()
        var route = ReverseRoute(path: "api")
        route.lb = .hash
        options.sites = [ReverseSite(hosts: [], routes: [route, ReverseRoute(path: "api")]), ReverseSite(hosts: ["*"], routes: [])]
        var listener = ListenerConfig(mode: .reverse, listen: [try! ListenAddress(parsing: "127.0.0.1:1")])
        listener.reverse = options
        let errors = Configuration(listeners: [listener]).validationErrors()
        #expect(errors.contains { $0.contains("route path must start with '/'") })
        #expect(errors.contains { $0.contains("duplicate route path 'api'") })
        #expect(errors.contains { $0.contains("more than one default site") })
        #expect(errors.contains { $0.contains("site 2: needs at least one route") })
        #expect(errors.contains { $0.contains("needs upstream or static") })
        #expect(!errors.contains { $0.contains("needs at least one upstream, or a static directory") })
    }
}
