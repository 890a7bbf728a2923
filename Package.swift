// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The HTTP hot path (engine and reverse mode) skips runtime exclusivity checks in release builds:
/// they cost several percent of CPU per request there, and the handlers are confined to one event loop.
let hotPathSettings: [SwiftSetting] = swiftSettings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "wproxy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wproxy", targets: ["wproxy"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Sans-I/O wire formats and state machines.
        .target(
            name: "WProxyProtocols",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // The typed model of what the user asked for. No NIO.
        .target(name: "WProxyConfig", swiftSettings: swiftSettings),
        // Backend selection snapshots and health bookkeeping. No NIO.
        .target(name: "WProxyLoadBalancing", swiftSettings: swiftSettings),
        // Connection core: listener service, relay, idle timeout, access log.
        .target(
            name: "WProxyCore",
            dependencies: [
                "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one upstream dialer (direct, and later proxy-chain hops).
        .target(
            name: "WProxyDialer",
            dependencies: [
                "WProxyCore", "WProxyProtocols", "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP pieces shared by reverse and forward.
        .target(
            name: "WProxyHTTP",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyProtocols", "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: hotPathSettings
        ),
        .target(
            name: "WProxyTCP",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyProtocols", "WProxyConfig", "WProxyLoadBalancing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WProxyReverse",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyConfig", "WProxyLoadBalancing", "WProxyHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: hotPathSettings
        ),
        .target(
            name: "WProxyRuntime",
            dependencies: [
                "WProxyCore", "WProxyConfig", "WProxyTCP", "WProxyReverse",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wproxy",
            dependencies: [
                "WProxyConfig", "WProxyRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxyProtocolsTests",
            dependencies: ["WProxyProtocols", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxyHTTPTests",
            dependencies: ["WProxyHTTP", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxyReverseTests",
            dependencies: [
                "WProxyReverse", "WProxyHTTP", "WProxyConfig", "WProxyLoadBalancing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WProxyConfigTests", dependencies: ["WProxyConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WProxyLoadBalancingTests", dependencies: ["WProxyLoadBalancing"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WProxyCoreTests",
            dependencies: [
                "WProxyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
