import DockerAPI
import DockerClient
import TenantModel
import TenantPlan

/// Who holds a host port on the engine: a container, and the provider it belongs to when
/// it carries tenantctl's labels.
struct PortHolder: Sendable, Hashable, CustomStringConvertible {
    /// Container name.
    var container: String
    /// Provider id label, if any.
    var provider: String?
    /// Role label, if any.
    var role: String?

    var description: String {
        guard let provider else { return "container \(container)" }
        let what = role == Role.ingest.rawValue ? "gateway port" : role == Role.admin.rawValue ? "admin port" : "port"
        return "the \(what) of provider \(provider) (\(container))"
    }
}

/// A requested host port that cannot be used, and why. Found before anything changes, so
/// a run that would fail leaves every object as it was.
struct PortConflict: Sendable, Hashable, CustomStringConvertible {
    /// `gateway` or `admin`.
    var what: String
    /// The port.
    var port: Int
    /// How the port came to be wanted: `--gateway-port`, or kept from the existing container.
    var source: String
    /// The container holding it; nil when another process on the host holds it.
    var holder: PortHolder?

    var description: String {
        let holderText = holder.map { "held by \($0)" } ?? "in use on this host by a process that is not a Docker container"
        return "\(what) port \(port) (\(source)) is \(holderText)"
    }
}

extension Provisioner {
    /// Every host port Docker has published (running containers) or reserved (the host-port
    /// label of stopped tenantctl containers), with its holder; containers of `excluded` are left out.
    func portHolders(excluding excluded: ProviderID?) async throws -> [Int: PortHolder] {
        let all: [ContainerSummary]
        do { all = try await client.listContainers(all: true) } catch { throw TenantCtlError("listing containers", error) }
        return Self.portHolders(in: all, excluding: excluded)
    }

    /// The ports `containers` publish or reserve, with their holders (those of `excluded` left out).
    static func portHolders(in containers: [ContainerSummary], excluding excluded: ProviderID?) -> [Int: PortHolder] {
        var holders: [Int: PortHolder] = [:]
        for container in containers {
            let provider = container.Labels?[Labels.provider]
            if let excluded, provider == excluded.rawValue { continue }
            let holder = PortHolder(container: container.name, provider: provider, role: container.Labels?[Labels.role])
            for port in container.Ports ?? [] { if let published = port.PublicPort { holders[published] = holder } }
            if let label = container.Labels?[PlanLabels.hostPort], let port = Int(label), holders[port] == nil { holders[port] = holder }
        }
        return holders
    }

    /// Ports `containers` publish or reserve (those of `excluded` left out).
    static func usedPorts(in containers: [ContainerSummary], excluding excluded: ProviderID?) -> Set<Int> {
        Set(portHolders(in: containers, excluding: excluded).keys)
    }

    /// The first of the settled ports another container or process holds. The provider's
    /// own containers do not count, and a port its running container publishes is not
    /// probed on the host (its own proxy holds it). Host probing is skipped for a remote
    /// engine, whose host is not this one.
    func portConflict(
        _ settings: ProviderSettings, request: ProvisionRequest, observed: [ObservedContainer], holders: [Int: PortHolder]
    ) -> PortConflict? {
        let ownPublished = Set(observed.filter(\.isRunning).compactMap(\.hostPort))
        let wanted: [(what: String, role: Role, port: Int, flag: String?)] = [
            ("gateway", .ingest, settings.gatewayPort, request.gatewayPort != nil ? "--gateway-port" : nil),
            ("admin", .admin, settings.adminPort, request.adminPort != nil ? "--admin-port" : nil),
        ]
        for (what, role, port, flag) in wanted {
            let kept = observed.first { $0.role == role }.flatMap { $0.hostPort == port ? $0.name : nil }
            let source = flag ?? kept.map { "kept from \($0)" } ?? "chosen"
            if let holder = holders[port] { return PortConflict(what: what, port: port, source: source, holder: holder) }
            if probesHostPorts, !ownPublished.contains(port), !HostPorts.isFree(port) {
                return PortConflict(what: what, port: port, source: source, holder: nil)
            }
        }
        return nil
    }

    /// Whether the engine runs on this host (a unix socket), so a bind probe here says
    /// something about its ports; not for a TCP engine, nor for the tests' in-memory one.
    var probesHostPorts: Bool { client.transport.endpoint.hasPrefix("unix://") }
}
