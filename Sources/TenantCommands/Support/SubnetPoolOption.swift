import ArgumentParser
import Foundation
import TenantPlan

/// `--subnet-pool`: the range provider networks take their subnets from.
public struct SubnetPoolOption: ParsableArguments, Sendable {
    @Option(
        help: ArgumentHelp(
            "IPv4 range new provider networks take a /28 from (default 10.200.0.0/16) [environment: TENANTCTL_SUBNET_POOL].",
            valueName: "CIDR"))
    public var subnetPool: String?

    public init() {}

    public func validate() throws { _ = try pool() }

    /// The pool: `--subnet-pool`, else `TENANTCTL_SUBNET_POOL`, else the default.
    public func pool(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SubnetPool {
        let given = subnetPool ?? environment["TENANTCTL_SUBNET_POOL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let given else { return .default }
        do { return try SubnetPool.parse(given) } catch {
            throw ValidationError("\(subnetPool == nil ? "TENANTCTL_SUBNET_POOL" : "--subnet-pool"): \(error.description)")
        }
    }
}
