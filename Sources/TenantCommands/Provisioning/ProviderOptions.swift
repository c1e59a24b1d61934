import ArgumentParser
import TenantModel
import TenantPlan

/// Data store kinds for `--store`.
public enum StoreKind: String, ExpressibleByArgument, Sendable, CaseIterable {
    /// One SQLite file per provider on its data volume.
    case sqlite
    /// A Cassandra keyspace per provider.
    case cassandra
}

/// The settings `start-provider` and `plan` share.
public struct ProviderOptions: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("Provider id: [a-z][a-z0-9_]{0,47}.", valueName: "ID"))
    public var id: String

    @Option(help: ArgumentHelp("Host port for the gateway protocol (default: kept, else the next free from 6001).", valueName: "N"))
    public var gatewayPort: Int?

    @Option(help: ArgumentHelp("Host port for the admin web app (default: kept, else the next free from 8081).", valueName: "N"))
    public var adminPort: Int?

    @Option(help: ArgumentHelp("Image carrying tenant-ingest and tenant-admin [environment: TENANTCTL_IMAGE].", valueName: "REF"))
    public var image: String?

    @Option(help: "Data store of the provider.")
    public var store: StoreKind = .sqlite

    @Option(
        name: .customLong("cassandra"),
        help: ArgumentHelp(
            "Cassandra contact point (repeat or comma-separate; needs --store cassandra). Without it, --store cassandra uses the shared container of `tenantctl db start`.",
            valueName: "HOST:PORT"))
    public var cassandra: [String] = []

    @Option(help: ArgumentHelp("Memory limit per container (512m, 1g).", valueName: "SIZE"))
    public var memory: String = "512m"

    @Option(help: ArgumentHelp("CPU limit per container (1, 0.5).", valueName: "N"))
    public var cpus: String = "1"

    @OptionGroup public var subnets: SubnetPoolOption

    public init() {}

    public mutating func validate() throws {
        _ = try providerID()
        try PortNumber.validate("--gateway-port", gatewayPort)
        try PortNumber.validate("--admin-port", adminPort)
        if let gatewayPort, gatewayPort == adminPort { throw ValidationError("--gateway-port and --admin-port must differ") }
        if ResourceParsing.memoryBytes(memory) == nil { throw ValidationError("--memory '\(memory)' is not a size of at least 6m (e.g. 512m, 1g)") }
        if ResourceParsing.nanoCPUs(cpus) == nil { throw ValidationError("--cpus '\(cpus)' is not a positive number (e.g. 1, 0.5)") }
        _ = try storeChoice()
    }

    /// The validated provider id; the error names the rule.
    public func providerID() throws -> ProviderID {
        do { return try ProviderID(id) } catch { throw ValidationError(error.description) }
    }

    /// The store from `--store` and `--cassandra`.
    public func storeChoice() throws -> StoreChoice {
        switch store {
        case .sqlite:
            guard cassandra.isEmpty else { throw ValidationError("--cassandra needs --store cassandra") }
            return .sqlite
        case .cassandra:
            let points = cassandra.flatMap { $0.split(separator: ",").map(String.init) }
            // No contact points: the shared Cassandra container (`tenantctl db start`).
            if points.isEmpty { return .sharedCassandra }
            do {
                return .cassandra(try points.map { try HostPort(parsing: $0, defaultPort: StoreURL.defaultCassandraPort) })
            } catch {
                throw ValidationError("--cassandra: \(error)")
            }
        }
    }

    /// The image to start.
    public var resolvedImage: String { imageOrDefault(image) }

    /// What the provisioner needs, ports still open.
    public func request() throws -> ProvisionRequest {
        ProvisionRequest(
            id: try providerID(), image: resolvedImage, gatewayPort: gatewayPort, adminPort: adminPort, store: try storeChoice(),
            memoryBytes: ResourceParsing.memoryBytes(memory), nanoCPUs: ResourceParsing.nanoCPUs(cpus), subnetPool: try subnets.pool())
    }
}

/// `--image`, else `TENANTCTL_IMAGE`, else the default image of this version.
func imageOrDefault(_ image: String?) -> String {
    if let image, !image.isEmpty { return image }
    if let env = ProcessInfo.processInfo.environment["TENANTCTL_IMAGE"], !env.isEmpty { return env }
    return TenantctlVersion.defaultImage
}

import Foundation
