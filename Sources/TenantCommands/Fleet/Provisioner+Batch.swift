import DockerAPI
import TenantModel
import TenantPlan

extension Provisioner {
    /// Gives every request both ports (its own, those its provider keeps, or free ones) and,
    /// when its network does not exist yet, a subnet from its pool, choosing from one look
    /// at the engine (`containers`, and one network list) so that runs started in parallel
    /// never choose the same port or subnet; the host lock alone guarantees that only for
    /// runs one after the other. Call it holding the host lock, and keep it until they are
    /// created.
    func settleBatch(_ requests: [ProvisionRequest], containers: [ContainerSummary], observed: [String: [ObservedContainer]]) async throws -> [ProvisionRequest] {
        // Ports the file gives are taken before any is chosen, whatever their order.
        var used = Self.usedPorts(in: containers, excluding: nil).union(requests.flatMap { [$0.gatewayPort, $0.adminPort].compactMap { $0 } })
        let networks: [Network]
        do { networks = try await client.listNetworks() } catch { throw TenantCtlError("listing networks", error) }
        let existing = Set(networks.map(\.Name))
        var taken = networks.flatMap(\.subnets).compactMap { IPv4Block(cidr: $0) }
        return try requests.map { request in
            let settings = try settle(request, observed: observed[request.id.rawValue] ?? [], used: &used)
            var settled = request.withPorts(gateway: settings.gatewayPort, admin: settings.adminPort)
            if !existing.contains(ProviderNames.network(request.id)) {
                let subnet = try Self.firstFreeSubnet(in: request.subnetPool, avoiding: taken)
                taken.append(subnet)
                settled.subnet = subnet
            }
            return settled
        }
    }
}
