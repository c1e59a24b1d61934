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

// MARK: - Ingest: gateway protocol, server, simulator

// MARK: - Admin: web app and mailer

targets += [
    .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
    .target(
        name: "TenantMailer",
        dependencies: [
            "CCurl", "TenantStorage",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swift6
    ),
    .target(
        name: "AdminApp",
        dependencies: [
            "TenantModel", "TenantStorage", "TenantSQLite", "TenantAuth", "TenantMailer", "CMalloc",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swift6
    ),
    .executableTarget(
        name: "tenant-admin",
        dependencies: [
            "AdminApp", "TenantModel", "TenantSQLite", "TenantMailer", "CCurl", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/tenant-admin",
        swiftSettings: swift6
    ),
    .target(
        name: "AdminTestSupport",
        dependencies: ["TenantStorage", "TenantSQLite"],
        path: "Tests/AdminTestSupport",
        swiftSettings: swift6
    ),
    .testTarget(
        name: "AdminAppTests",
        dependencies: [
            "AdminApp", "AdminTestSupport", "TenantSQLite", "TenantStorage", "TenantAuth",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
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
