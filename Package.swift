// swift-tools-version:6.2
//
// tenantctl: provisioning CLI, gateway ingest server and admin web app for a
// multi-tenant solar monitoring platform. One package, three binaries; all
// logic lives in libraries so tests import them directly.

import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

var targets: [Target] = []
var products: [Product] = []

// MARK: - Domain model and storage (shared by every binary)

targets += [
    .target(name: "TenantModel", swiftSettings: swift6),
    // Civil dates, IANA zones from the system tz database, RFC 3339/5322 text: what the admin
    // app and the gateway protocol need of time, without Foundation's ICU.
    .target(name: "TenantTime", dependencies: ["TextFormat"], swiftSettings: swift6),
    // Fixed decimals and zero padding as printf writes them, without Foundation.
    .target(name: "TextFormat", swiftSettings: swift6),
    .testTarget(name: "TenantTimeTests", dependencies: ["TenantTime"], swiftSettings: swift6),
    .systemLibrary(
        name: "CSQLite",
        pkgConfig: "sqlite3",
        providers: [.apt(["libsqlite3-dev"])]
    ),
    // Where the servers' async work runs: NIO's event loops as the global executor, and a
    // clock whose sleeps are loop timers, so an idle server never wakes.
    .target(
        name: "EventLoopExecution",
        dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "TenantStorage",
        dependencies: ["TenantModel", "EventLoopExecution"],
        swiftSettings: swift6
    ),
    .target(
        name: "TenantSQLite",
        dependencies: ["EventLoopExecution", "TenantStorage", "TenantModel", "CSQLite"],
        swiftSettings: swift6
    ),
    .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
    .target(name: "TenantAuth", dependencies: ["CCrypt"], swiftSettings: swift6),
    .testTarget(name: "TenantAuthTests", dependencies: ["TenantAuth"], swiftSettings: swift6),
    .testTarget(name: "TenantModelTests", dependencies: ["TenantModel"], swiftSettings: swift6),
    // Secrets the servers read from files (`TENANT_*_FILE`), as the postgres and mariadb images do.
    .target(name: "TenantSecrets", swiftSettings: swift6),
    // Seals the secrets a provider's store keeps (its mail password) with a key from its secret files.
    // Only `Crypto` of swift-crypto (BoringSSL's AEADs); only the admin app links it.
    .target(name: "TenantSealing", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: swift6),
    .testTarget(name: "TenantSecretsTests", dependencies: ["TenantSecrets", "TenantSealing"], swiftSettings: swift6),
    .testTarget(
        name: "TenantSQLiteTests",
        dependencies: ["TenantSQLite", "TenantStorage"],
        swiftSettings: swift6
    ),
]

// MARK: - libcurl (Docker Engine transport and the SMTP mailer)

targets += [
    .systemLibrary(
        name: "CCurl",
        pkgConfig: "libcurl",
        providers: [.apt(["libcurl4-openssl-dev"])]
    ),
    // The same library loaded on first use, for the admin app's mailer (see curl_loader.h).
    .target(name: "CCurlLoader", linkerSettings: [.linkedLibrary("dl")]),
]

// MARK: - Gateway TLS material

targets += [
    // A provider's gateway CA and server certificate (swift-certificates), PEM in and out.
    // Used by tenantctl (start-provider --gateway-tls) and by the TLS tests.
    .target(
        name: "GatewayTLS",
        dependencies: [
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swift6
    ),
]

// MARK: - Provisioning: Docker Engine client and tenantctl

// DockerAPI (wire models) -> DockerClient (libcurl transport) -> TenantPlan (pure plan)
// -> TenantCommands (CLI logic) -> tenantctl (thin @main).
targets += [
    .target(name: "DockerAPI", swiftSettings: swift6),
    .target(name: "DockerClient", dependencies: ["DockerAPI", "CCurl"], swiftSettings: swift6),
    .target(name: "TenantPlan", dependencies: ["DockerAPI", "TenantModel", "TenantSecrets"], swiftSettings: swift6),
    .target(
        name: "TenantCommands",
        dependencies: [
            "DockerAPI", "DockerClient", "TenantPlan", "TenantModel", "TenantAuth", "TenantSecrets", "GatewayTLS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    // Registers the Cassandra keyspace provisioner (TenantCassandra) with TenantCommands,
    // which stays free of NIO and the CQL client.
    .target(name: "TenantCtlCassandra", dependencies: ["TenantCommands", "TenantCassandra"], swiftSettings: swift6),
    .executableTarget(
        name: "tenantctl", dependencies: ["TenantCommands", "TenantCtlCassandra"], path: "Sources/tenantctl", swiftSettings: swift6),
    .target(
        name: "TenantTestSupport",
        dependencies: ["DockerAPI", "DockerClient", .product(name: "Subprocess", package: "swift-subprocess")], swiftSettings: swift6),
    .testTarget(name: "DockerClientTests", dependencies: ["DockerClient", "DockerAPI", "TenantTestSupport"], swiftSettings: swift6),
    .testTarget(name: "TenantPlanTests", dependencies: ["TenantPlan", "DockerAPI", "TenantModel"], swiftSettings: swift6),
    .testTarget(
        name: "TenantCommandsTests",
        dependencies: [
            "TenantCommands", "TenantTestSupport", "DockerClient", "DockerAPI", "TenantModel", "TenantPlan",
            "TenantCtlCassandra", "TenantCassandra", "TenantAuth",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "IntegrationTests",
        dependencies: ["TenantCommands", "DockerClient", "DockerAPI", "TenantModel", "TenantPlan", "TenantTestSupport", "TenantSQLite", "TenantAuth"],
        swiftSettings: swift6
    ),
]
products += [.executable(name: "tenantctl", targets: ["tenantctl"])]

// MARK: - Ingest: gateway protocol, server, simulator

targets += [
    // The wire codec: incremental XML framing, validation, reply encoding. NIOCore only.
    .target(
        name: "GatewayProtocol",
        // TenantStorage only for the Reading value type a report decodes into.
        dependencies: ["TenantStorage", "TenantTime", .product(name: "NIOCore", package: "swift-nio")],
        swiftSettings: swift6
    ),
    // Opens the stores a --store URL names (SQLite or Cassandra), for both servers.
    .target(
        name: "TenantStoreFactory",
        dependencies: ["EventLoopExecution", "TenantModel", "TenantStorage", "TenantSQLite", "TenantCassandra", .product(name: "Logging", package: "swift-log")],
        swiftSettings: swift6
    ),
    // What both servers share: exit codes, log settings and the JSON log format, the
    // health-check probe, the Prometheus registry and its small /metrics listener.
    .target(
        name: "ServerSupport",
        dependencies: [
            "TenantModel", "TenantTime", "TextFormat",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "EventLoopExecutionTests",
        dependencies: ["EventLoopExecution", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "ServerSupportTests",
        dependencies: [
            "ServerSupport", "TenantModel",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "IngestServer",
        dependencies: [
            "EventLoopExecution", "GatewayProtocol", "TenantStorage", "TenantAuth", "TenantModel", "TenantSQLite", "ServerSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            // TLS on the gateway port (`--tls`): BoringSSL inside, no system OpenSSL. X509
            // reads the gateway id out of a verified client certificate.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
        ],
        swiftSettings: swift6
    ),
    .executableTarget(
        name: "tenant-ingest",
        dependencies: [
            "EventLoopExecution", "IngestServer", "ServerSupport", "TenantStoreFactory", "TenantModel", "TenantStorage", "TenantSQLite", "TenantSecrets", "TextFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        path: "Sources/tenant-ingest",
        swiftSettings: swift6
    ),
    .target(
        name: "GatewaySimulator",
        dependencies: [
            "TextFormat",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ],
        swiftSettings: swift6
    ),
    .executableTarget(
        name: "tenant-gateway-sim",
        dependencies: ["GatewaySimulator", "TenantTime", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Sources/tenant-gateway-sim",
        swiftSettings: swift6
    ),
    .testTarget(
        name: "GatewayProtocolTests",
        dependencies: [
            "GatewayProtocol", "TenantTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "IngestServerTests",
        dependencies: [
            "IngestServer", "GatewayProtocol", "GatewaySimulator", "TenantStoreFactory",
            "TenantStorage", "TenantSQLite", "TenantAuth", "TenantTestSupport", "TenantModel", "ServerSupport",
            .product(name: "MetricsTestKit", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            "GatewayTLS",
        ],
        swiftSettings: swift6
    ),
]
products += [
    .executable(name: "tenant-ingest", targets: ["tenant-ingest"]),
    .executable(name: "tenant-gateway-sim", targets: ["tenant-gateway-sim"]),
]

// MARK: - Admin: web app and mailer

targets += [
    .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
    .target(
        name: "TenantMailer",
        dependencies: [
            "EventLoopExecution", "CCurlLoader", "TenantStorage", "TenantModel", "TenantTime", "TextFormat",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "AdminApp",
        dependencies: [
            "EventLoopExecution", "TenantModel", "TenantStorage", "TenantSQLite", "TenantAuth", "TenantMailer", "TenantSealing", "TenantTime", "TextFormat", "CMalloc",
            "ServerSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swift6
    ),
    .executableTarget(
        name: "tenant-admin",
        dependencies: [
            "EventLoopExecution", "AdminApp", "ServerSupport", "TenantModel", "TenantSQLite", "TenantStoreFactory", "TenantMailer", "TenantSecrets", "TextFormat", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/tenant-admin",
        swiftSettings: swift6
    ),
    .target(
        name: "AdminTestSupport",
        dependencies: ["TenantStorage", "TenantSQLite", "TenantTestSupport"],
        path: "Tests/AdminTestSupport",
        swiftSettings: swift6
    ),
    .testTarget(
        name: "AdminAppTests",
        dependencies: [
            "AdminApp", "AdminTestSupport", "TenantSQLite", "TenantStorage", "TenantAuth", "TenantTestSupport", "TenantTime", "TextFormat",
            "ServerSupport", "TenantModel",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "TenantMailerTests",
        dependencies: [
            "TenantMailer", "TenantSQLite", "TenantStorage", "AdminTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
]
products += [.executable(name: "tenant-admin", targets: ["tenant-admin"])]

// MARK: - Cassandra store

// A focused CQL native protocol v4 client (no Swift Cassandra driver is available) and the
// provider store over it. The codec is pure (NIOCore only) so it is tested byte-for-byte
// against the DataStax Python driver; the client adds connections, pooling and timeouts.
targets += [
    .target(
        name: "CQLProtocol",
        dependencies: [.product(name: "NIOCore", package: "swift-nio")],
        swiftSettings: swift6
    ),
    .target(
        name: "CQLClient",
        dependencies: [
            "CQLProtocol", "EventLoopExecution",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "TenantCassandra",
        dependencies: [
            "EventLoopExecution", "CQLClient", "CQLProtocol", "TenantStorage", "TenantModel",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    // Fakes for tests only: a scripted CQL server over loopback.
    .target(
        name: "CQLTestSupport",
        dependencies: [
            "CQLProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "CQLProtocolTests",
        dependencies: [
            "CQLProtocol", "TenantTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ],
        // The Python helper is run in place (found via #filePath), not bundled.
        exclude: ["Fixtures"],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "CQLClientTests",
        dependencies: [
            "CQLClient", "CQLProtocol", "CQLTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "TenantCassandraTests",
        dependencies: [
            "TenantCassandra", "CQLClient", "CQLProtocol", "CQLTestSupport", "TenantStorage", "TenantModel",
            // The admin store conformance suite runs against SQLite too; the factory tests open both.
            "TenantSQLite", "TenantStoreFactory", "GatewaySimulator", "TenantTestSupport",
            // The real-engine secrets test: an SMTP server with AUTH beside the fake node.
            "AdminTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
]
// `make bench-cql`: codec throughput (release build).
targets += [
    .executableTarget(
        name: "cql-bench",
        dependencies: ["CQLProtocol", .product(name: "NIOCore", package: "swift-nio")],
        path: "Sources/cql-bench",
        swiftSettings: swift6
    ),
]
products += [
    .library(name: "CQLProtocol", targets: ["CQLProtocol"]),
    .library(name: "CQLClient", targets: ["CQLClient"]),
    .library(name: "TenantCassandra", targets: ["TenantCassandra"]),
]

// MARK: - End to end: the image, tenantctl, both servers and the simulator together

targets += [
    // Drives the built binaries and the real image; needs no library of ours.
    .testTarget(name: "EndToEndTests", dependencies: ["AdminTestSupport", "TenantTestSupport"], swiftSettings: swift6),
]

let package = Package(
    name: "tenantctl",
    platforms: [.macOS(.v15)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // The swift-metrics backend of both servers: one registry per process, Prometheus text.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // AES-GCM for the secrets a provider's store keeps (TenantSealing). 4.x: its `Crypto` uses
        // FoundationEssentials where 3.x imports all of Foundation, which would put Foundation and
        // ICU back into the image (+50 MB) and the admin app's resident pages.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.0"),
        // TLS on the gateway port, and the per-provider gateway CA that tenantctl makes.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // No default traits: "FullFoundation" links all of Foundation and ICU (~9 MB resident
        // in every admin container) for URL-encoded date strategies we do not use, and
        // "ConfigurationSupport" builds swift-configuration, which we do not use either.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0", traits: []),
        // Fleet files (`tenantctl apply -f`): a YAML parser whose nodes carry line numbers.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Child processes (the mail delivery child, the tests' program runner). No
        // SubprocessFoundation trait: the admin app stays free of Foundation.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
    ],
    targets: targets
)
