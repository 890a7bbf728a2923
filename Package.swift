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
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
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
        // Linux facilities Swift cannot reach on its own: prctl (variadic) and the netfilter and
        // transparent-proxy socket option numbers.
        .target(name: "CWProxyLinux"),
        // libcap, for keeping only the needed capabilities after `--user` drops root.
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        // Connection core: listener service, relay, idle timeout, access log, privilege drop.
        .target(
            name: "WProxyCore",
            dependencies: [
                "WProxyConfig", "CWProxyLinux", "CLibcap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // TLS: server contexts with SNI certificates, self-signed certificates, upstream (client) contexts,
        // and the decorator that puts TLS in front of any listener's connection setup.
        .target(
            name: "WProxyTLS",
            dependencies: [
                "WProxyConfig", "WProxyCore", "WProxyProtocols",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // ACME (RFC 8555): account, orders, HTTP-01 and TLS-ALPN-01, storage and renewal.
        .target(
            name: "WProxyACME",
            dependencies: [
                "WProxyConfig", "WProxyCore", "WProxyTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
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
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
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
                "WProxyCore", "WProxyDialer", "WProxyConfig", "WProxyLoadBalancing", "WProxyHTTP", "WProxyTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: hotPathSettings
        ),
        .target(
            name: "WProxyTransparent",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyProtocols", "WProxyConfig", "CWProxyLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WProxyForward",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyHTTP", "WProxyProtocols", "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WProxySOCKS",
            dependencies: [
                "WProxyCore", "WProxyDialer", "WProxyProtocols", "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WProxyRuntime",
            dependencies: [
                "WProxyCore", "WProxyConfig", "WProxyTCP", "WProxyForward", "WProxySOCKS", "WProxyTransparent", "WProxyReverse",
                "WProxyTLS", "WProxyACME",
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
            dependencies: [
                "WProxyHTTP", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"), .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
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
        .testTarget(
            name: "WProxyTLSTests",
            dependencies: [
                "WProxyTLS", "WProxyACME", "WProxyConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WProxyConfigTests", dependencies: ["WProxyConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WProxyLoadBalancingTests", dependencies: ["WProxyLoadBalancing"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WProxyTransparentTests",
            dependencies: [
                "WProxyTransparent", "WProxyCore", "WProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxyDialerTests",
            dependencies: [
                "WProxyDialer", "WProxyConfig", "WProxyProtocols",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxyCoreTests",
            dependencies: [
                "WProxyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WProxySOCKSTests",
            dependencies: [
                "WProxySOCKS", "WProxyDialer", "WProxyProtocols", "WProxyConfig", "WProxyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
