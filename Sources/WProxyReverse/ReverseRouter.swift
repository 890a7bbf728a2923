import NIOCore
import NIOHTTP1
import NIOPosix
import WProxyConfig
import WProxyHTTP
import WProxyLoadBalancing

/// One route at run time: its upstream group (balancer, health, load), its static directory and
/// the policy the engine applies to requests sent through it. Immutable.
final class RouteRuntime: Sendable {
    let config: ReverseRoute
    let group: ReverseUpstreamGroup
    let policy: RoutePolicy
    let staticFiles: StaticFileServer?

    init(config: ReverseRoute, group: ReverseUpstreamGroup, policy: RoutePolicy, staticFiles: StaticFileServer?) {
        self.config = config
        self.group = group
        self.policy = policy
        self.staticFiles = staticFiles
    }
}

/// The whole routing table of a reverse listener: sites by host, routes by path prefix. Built once
/// per acceptor and shared by every event loop; a reload builds a new one with the new acceptor,
/// so requests already routed keep their route and new ones see the new table.
final class ReverseRouter: Sendable {
    let sites: SiteMatcher
    let paths: [PathMatcher]
    /// `routes[site][route]`, in configuration order.
    let routes: [[RouteRuntime]]
    /// Every route once, and, by peer id, the route a peer belongs to.
    let allRoutes: [RouteRuntime]
    let routeOfPeer: [RouteRuntime]

    /// - Parameters:
    ///   - makeStatic: opens a static directory (throws when it is not one).
    ///   - previous: the router being replaced; upstreams still configured with the same health
    ///     check keep their health state.
    init(
        options: ReverseOptions, security: (any UpstreamChannelSecurity)?, previous: ReverseRouter?,
        makeStatic: (String) throws -> StaticFileServer
    ) throws {
        let siteConfigs = options.effectiveSites
        var nextID = 0
        var routes: [[RouteRuntime]] = []
        var allRoutes: [RouteRuntime] = []
        var routeOfPeer: [RouteRuntime] = []
        for site in siteConfigs {
            var siteRoutes: [RouteRuntime] = []
            for config in site.routes {
                let policy = RoutePolicy(
                    retries: config.retries, upstreamTimeout: TimeAmount(config.upstreamTimeout),
                    stripPrefix: config.stripPrefix && config.path != "/" ? config.path : nil,
                    requestEdits: HeaderEdits(config.requestHeaders), responseEdits: HeaderEdits(config.responseHeaders))
                let group = ReverseUpstreamGroup(
                    upstreams: config.upstreams, policy: config.lb, security: security, firstID: nextID, route: policy)
                nextID += config.upstreams.count
                if let previous { Self.inheritHealth(group, check: config.healthCheckPath, from: previous) }
                let route = RouteRuntime(
                    config: config, group: group, policy: policy, staticFiles: try config.staticRoot.map(makeStatic))
                siteRoutes.append(route)
                allRoutes.append(route)
                routeOfPeer += Array(repeating: route, count: config.upstreams.count)
            }
            routes.append(siteRoutes)
        }
        sites = SiteMatcher(hosts: siteConfigs.map(\.hosts))
        paths = siteConfigs.map { PathMatcher(paths: $0.routes.map(\.path)) }
        self.routes = routes
        self.allRoutes = allRoutes
        self.routeOfPeer = routeOfPeer
    }

    private static func inheritHealth(_ group: ReverseUpstreamGroup, check: String?, from previous: ReverseRouter) {
        for (index, upstream) in group.upstreams.enumerated() {
            for old in previous.allRoutes where old.config.healthCheckPath == check {
                if let oldIndex = old.group.upstreams.firstIndex(where: { $0.scheme == upstream.scheme && $0.address == upstream.address }) {
                    group.health.inherit(index, from: old.group.health, id: oldIndex)
                    break
                }
            }
        }
    }

    /// The route for a request, or nil when no site takes its host (or no route its path).
    /// (Called twice per request: it works on the head's bytes and makes no strings in the usual
    /// cases, an origin-form ASCII target and no site naming hosts.)
    func route(for head: RawRequestHead) -> RouteRuntime? {
        let site: Int
        if sites.matchesHosts {
            let host = head.isOriginForm ? head.firstValue("host") : PathMatcher.authority(of: head.uri) ?? head.firstValue("host")
            guard let found = sites.site(for: host) else { return nil }
            site = found
        } else {
            guard let only = sites.defaultSiteIndex else { return nil }
            site = only
        }
        let paths = self.paths[site]
        let match = head.bytes.withUnsafeReadableBytes { bytes in
            paths.route(forOriginForm: UnsafeRawBufferPointer(rebasing: bytes[head.target]))
        }
        let route: Int?
        switch match {
        case .route(let found): route = found
        case .undecided: route = paths.route(for: PathMatcher.path(of: head.uri))
        }
        guard let route else { return nil }
        return routes[site][route]
    }

    /// The route an upstream peer belongs to (peer ids are numbered across the whole listener).
    func route(of peer: UpstreamPeer) -> RouteRuntime? {
        routeOfPeer.indices.contains(peer.id) ? routeOfPeer[peer.id] : nil
    }

    var hasStatic: Bool { allRoutes.contains { $0.config.staticRoot != nil } }
}

extension HeaderEdits {
    init(_ rewrite: HeaderRewrite) {
        self.init(add: rewrite.add.map { ($0.name, $0.value) }, remove: rewrite.remove)
    }
}
