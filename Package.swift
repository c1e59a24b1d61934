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
    .systemLibrary(
        name: "CSQLite",
        pkgConfig: "sqlite3",
        providers: [.apt(["libsqlite3-dev"])]
    ),
    .target(
        name: "TenantStorage",
        dependencies: ["TenantModel"],
        swiftSettings: swift6
    ),
    .target(
        name: "TenantSQLite",
        dependencies: ["TenantStorage", "TenantModel", "CSQLite"],
        swiftSettings: swift6
    ),
    .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
    .target(name: "TenantAuth", dependencies: ["CCrypt"], swiftSettings: swift6),
    .testTarget(name: "TenantAuthTests", dependencies: ["TenantAuth"], swiftSettings: swift6),
    .testTarget(name: "TenantModelTests", dependencies: ["TenantModel"], swiftSettings: swift6),
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
]

// MARK: - Provisioning: Docker Engine client and tenantctl

// DockerAPI (wire models) -> DockerClient (libcurl transport) -> TenantPlan (pure plan)
// -> TenantCommands (CLI logic) -> tenantctl (thin @main).
targets += [
    .target(name: "DockerAPI", swiftSettings: swift6),
    .target(name: "DockerClient", dependencies: ["DockerAPI", "CCurl"], swiftSettings: swift6),
    .target(name: "TenantPlan", dependencies: ["DockerAPI", "TenantModel"], swiftSettings: swift6),
    .target(
        name: "TenantCommands",
        dependencies: [
            "DockerAPI", "DockerClient", "TenantPlan", "TenantModel", "TenantAuth",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    // Registers the Cassandra keyspace provisioner (TenantCassandra) with TenantCommands,
    // which stays free of NIO and the CQL client.
    .target(name: "TenantCtlCassandra", dependencies: ["TenantCommands", "TenantCassandra"], swiftSettings: swift6),
    .executableTarget(
        name: "tenantctl", dependencies: ["TenantCommands", "TenantCtlCassandra"], path: "Sources/tenantctl", swiftSettings: swift6),
    .target(name: "TenantTestSupport", dependencies: ["DockerAPI", "DockerClient"], swiftSettings: swift6),
    .testTarget(name: "DockerClientTests", dependencies: ["DockerClient", "DockerAPI", "TenantTestSupport"], swiftSettings: swift6),
    .testTarget(name: "TenantPlanTests", dependencies: ["TenantPlan", "DockerAPI", "TenantModel"], swiftSettings: swift6),
    .testTarget(
        name: "TenantCommandsTests",
        dependencies: [
            "TenantCommands", "TenantTestSupport", "DockerClient", "DockerAPI", "TenantModel", "TenantPlan",
            "TenantCtlCassandra", "TenantCassandra",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "IntegrationTests",
        dependencies: ["TenantCommands", "DockerClient", "DockerAPI", "TenantModel"],
        swiftSettings: swift6
    ),
]
products += [.executable(name: "tenantctl", targets: ["tenantctl"])]

// MARK: - Ingest: gateway protocol, server, simulator

// MARK: - Admin: web app and mailer

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
            "CQLProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "TenantCassandra",
        dependencies: [
            "CQLClient", "CQLProtocol", "TenantStorage", "TenantModel",
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
            "CQLProtocol",
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
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "TenantCassandraTests",
        dependencies: [
            "TenantCassandra", "CQLClient", "CQLProtocol", "CQLTestSupport", "TenantStorage", "TenantModel",
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

let package = Package(
    name: "tenantctl",
    platforms: [.macOS(.v15)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
    ],
    targets: targets
)
