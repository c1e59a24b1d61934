import TenantModel

/// Health as `status` and `list` show it: the servers' probes (``ServerProbe``) for running
/// containers; nothing for stopped ones. There is no engine health check to read.
public enum ProviderHealth {
    /// `view` with each running server container's `health` set to `healthy` or `unhealthy`
    /// and, when unhealthy, `health_detail` saying why. Both probes run concurrently.
    public static func probe(_ view: ProviderView, host: String, timeout: Duration = .seconds(2)) async -> ProviderView {
        func runningPort(_ role: Role, _ port: Int?) -> Int? {
            view.containers.contains { $0.role == role.rawValue && $0.state == "running" } ? port : nil
        }
        let gatewayPort = runningPort(.ingest, view.gatewayPort)
        let adminPort = runningPort(.admin, view.adminPort)
        // On a swarm each server is reached on the node that runs it.
        let gatewayHost = view.containers.first { $0.role == Role.ingest.rawValue }?.nodeAddress ?? host
        let adminHost = view.containers.first { $0.role == Role.admin.rawValue }?.nodeAddress ?? host
        async let gateway = gatewayPort.asyncMap { await ServerProbe.gateway(host: gatewayHost, port: $0, timeout: timeout) }
        async let admin = adminPort.asyncMap { await ServerProbe.admin(host: adminHost, port: $0, timeout: timeout) }
        let outcomes = [Role.ingest.rawValue: await gateway, Role.admin.rawValue: await admin].compactMapValues { $0 }
        var view = view
        for index in view.containers.indices {
            guard let outcome = outcomes[view.containers[index].role], view.containers[index].state == "running" else { continue }
            view.containers[index].health = outcome.isReady ? "healthy" : "unhealthy"
            if case .notReady(let reason) = outcome { view.containers[index].healthDetail = reason }
        }
        return view
    }
}

extension Optional where Wrapped == Int {
    fileprivate func asyncMap(_ transform: @Sendable (Int) async -> ServerProbe.Outcome) async -> ServerProbe.Outcome? {
        guard let self else { return nil }
        return await transform(self)
    }
}
