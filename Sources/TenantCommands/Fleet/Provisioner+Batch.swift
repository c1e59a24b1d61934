import DockerAPI
import TenantModel
import TenantPlan

extension Provisioner {
    /// Gives every request both ports: its own, those its provider keeps, or free ones
    /// chosen from one look at the engine (`containers`). Runs that then start in parallel
    /// never choose the same port, which the host lock alone guarantees only for runs one
    /// after the other. Call it holding the host lock, and keep it until they are created.
    func settlePorts(_ requests: [ProvisionRequest], containers: [ContainerSummary], observed: [String: [ObservedContainer]]) throws -> [ProvisionRequest] {
        // Ports the file gives are taken before any is chosen, whatever their order.
        var used = Self.usedPorts(in: containers, excluding: nil).union(requests.flatMap { [$0.gatewayPort, $0.adminPort].compactMap { $0 } })
        return try requests.map { request in
            let settings = try settle(request, observed: observed[request.id.rawValue] ?? [], used: &used)
            return request.withPorts(gateway: settings.gatewayPort, admin: settings.adminPort)
        }
    }
}
