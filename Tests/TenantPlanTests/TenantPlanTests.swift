import DockerAPI
import Foundation
import TenantModel
import Testing

@testable import TenantPlan

/// Decodes `value` as the untyped JSON the engine would receive.
private func wire(_ value: some Encodable) throws -> [String: Any] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return try #require(JSONSerialization.jsonObject(with: try encoder.encode(value)) as? [String: Any])
}

private func settings(_ id: String = "acme", store: StoreChoice = .sqlite, gateway: Int = 6001, admin: Int = 8081) throws -> ProviderSettings {
    ProviderSettings(id: try ProviderID(id), image: "tenantctl:0.1.0", gatewayPort: gateway, adminPort: admin, store: store)
}

@Suite struct ProviderPlanTests {
    @Test func namesFollowTheSeedScripts() throws {
        let plan = Planner.plan(try settings())
        #expect(plan.network.Name == "tenantctl_acme")
        #expect(plan.volume?.Name == "tenantctl_acme_data")
        #expect(plan.containers.map(\.name) == ["remote_server_acme", "admin_panel_acme"])
        #expect(plan.containers.map(\.role) == [.ingest, .admin])
    }

    @Test func networkAndVolumeCarryTheContractLabels() throws {
        let plan = Planner.plan(try settings())
        let network = try wire(plan.network)
        #expect(network["Name"] as? String == "tenantctl_acme")
        #expect(network["Driver"] as? String == "bridge")
        #expect(network["Labels"] as? [String: String] == ["io.tenantctl.provider": "acme", "io.tenantctl.role": "network"])
        let volume = try wire(try #require(plan.volume))
        #expect(volume["Labels"] as? [String: String] == ["io.tenantctl.provider": "acme", "io.tenantctl.role": "data"])
    }

    @Test func ingestRequestMatchesTheEngineSchemaFieldByField() throws {
        let plan = Planner.plan(try settings())
        let ingest = try #require(plan.container(.ingest))
        let json = try wire(ingest.request)
        #expect(json["Image"] as? String == "tenantctl:0.1.0")
        #expect(json["Cmd"] as? [String] == ["tenant-ingest"])
        #expect(json["Env"] as? [String] == ["TENANT_PROVIDER=acme", "TENANT_STORE=sqlite:/data/acme.db", "TENANT_LISTEN=0.0.0.0:6000", "TENANT_METRICS_LISTEN=0.0.0.0:9464"])
        #expect((json["ExposedPorts"] as? [String: Any])?.keys.sorted() == ["6000/tcp"])
        #expect(json["Tty"] as? Bool == false)

        let labels = try #require(json["Labels"] as? [String: String])
        #expect(labels["io.tenantctl.provider"] == "acme")
        #expect(labels["io.tenantctl.role"] == "ingest")
        #expect(labels["io.tenantctl.config-hash"] == ingest.configHash)
        #expect(labels["io.tenantctl.host-port"] == "6001")

        // No engine health check (tenantctl probes the published ports): only the NONE test,
        // which also overrides the image's HEALTHCHECK.
        let health = try #require(json["Healthcheck"] as? [String: Any])
        #expect(health.keys.sorted() == ["Test"])
        #expect(health["Test"] as? [String] == ["NONE"])

        let host = try #require(json["HostConfig"] as? [String: Any])
        let bindings = try #require(host["PortBindings"] as? [String: [[String: String]]])
        #expect(bindings == ["6000/tcp": [["HostIp": "", "HostPort": "6001"]]])
        let restart = try #require(host["RestartPolicy"] as? [String: Any])
        #expect(restart["Name"] as? String == "unless-stopped")
        #expect(restart["MaximumRetryCount"] as? Int == 0)
        let mounts = try #require(host["Mounts"] as? [[String: Any]])
        #expect(mounts.count == 1)
        #expect(mounts.first?["Type"] as? String == "volume")
        #expect(mounts.first?["Source"] as? String == "tenantctl_acme_data")
        #expect(mounts.first?["Target"] as? String == "/data")
        let memory: Int64? = (host["Memory"] as? NSNumber)?.int64Value
        #expect(memory == Int64(536_870_912))
        #expect((host["NanoCpus"] as? NSNumber)?.int64Value == 1_000_000_000)
        #expect(host["NetworkMode"] as? String == "tenantctl_acme")
        // Least privilege.
        #expect(host["CapDrop"] as? [String] == ["ALL"])
        #expect(host["SecurityOpt"] as? [String] == ["no-new-privileges"])
        #expect(host["ReadonlyRootfs"] as? Bool == true)
        #expect((host["PidsLimit"] as? NSNumber)?.int64Value == 512)
        #expect(host["Tmpfs"] as? [String: String] == ["/tmp": "rw,noexec,nosuid,nodev,size=16m"])
        let logs = try #require(host["LogConfig"] as? [String: Any])
        #expect(logs["Type"] as? String == "json-file")
        #expect(logs["Config"] as? [String: String] == ["max-size": "10m", "max-file": "3"])

        let networking = try #require(json["NetworkingConfig"] as? [String: Any])
        let endpoints = try #require(networking["EndpointsConfig"] as? [String: [String: [String]]])
        #expect(endpoints == ["tenantctl_acme": ["Aliases": ["ingest"]]])
    }

    @Test func adminRequestPublishesPort80AndChecksItsHealth() throws {
        let admin = try #require(Planner.plan(try settings(admin: 8090)).container(.admin))
        let json = try wire(admin.request)
        #expect(json["Cmd"] as? [String] == ["tenant-admin"])
        #expect((json["Env"] as? [String])?.contains("TENANT_LISTEN=0.0.0.0:80") == true)
        #expect((json["Healthcheck"] as? [String: Any])?["Test"] as? [String] == ["NONE"])
        #expect((json["HostConfig"] as? [String: Any])?["ReadonlyRootfs"] as? Bool == true)
        let host = try #require(json["HostConfig"] as? [String: Any])
        #expect(host["PortBindings"] as? [String: [[String: String]]] == ["80/tcp": [["HostIp": "", "HostPort": "8090"]]])
        // Metrics without a token on the provider's network only: neither exposed nor published.
        #expect((json["Env"] as? [String])?.contains("TENANT_METRICS_LISTEN=0.0.0.0:9464") == true)
        #expect((json["ExposedPorts"] as? [String: Any])?.keys.sorted() == ["80/tcp"])
        #expect((json["Labels"] as? [String: String])?["io.tenantctl.role"] == "admin")
        #expect(!((json["Env"] as? [String]) ?? []).contains { $0.hasPrefix("TENANT_ADMIN_BOOTSTRAP_HASH") })
    }

    @Test func networkTakesTheChosenSubnetOnlyWhenGivenOne() throws {
        #expect(try wire(Planner.plan(try settings()).network)["IPAM"] == nil)
        var chosen = try settings()
        chosen.subnet = IPv4Block(cidr: "10.200.0.16/28")
        let network = try wire(Planner.plan(chosen).network)
        let ipam = try #require(network["IPAM"] as? [String: Any])
        #expect(ipam["Config"] as? [[String: String]] == [["Subnet": "10.200.0.16/28"]])
        // The subnet is the network's business: the containers' config hashes ignore it.
        #expect(Planner.plan(chosen).containers.map(\.configHash) == Planner.plan(try settings()).containers.map(\.configHash))
    }

    @Test func cassandraStoreHasNoVolumeAndAKeyspaceURL() throws {
        let plan = Planner.plan(try settings(store: .cassandra([HostPort(host: "10.0.0.5", port: 9042), HostPort(host: "db2", port: 9043)])))
        #expect(plan.volume == nil)
        let ingest = try #require(plan.container(.ingest))
        #expect(ingest.request.HostConfig?.Mounts == nil)
        #expect(ingest.request.Env?.contains("TENANT_STORE=cassandra://10.0.0.5:9042,db2:9043/acme") == true)
    }

    /// A golden value computed outside Swift: FNV-1a 64 over the sorted-key JSON
    /// `{"Env":["A=1"],"Image":"tenantctl:0.1.0","Labels":{"io.tenantctl.provider":"acme"}}`
    /// (Python: h = 0xcbf29ce484222325; for b in data: h = ((h ^ b) * 0x100000001b3) % 2**64).
    /// A change here recreates every provider's containers on upgrade: make it on purpose.
    @Test func bothContainersShareOneShimWhereTheEngineTakesAnnotations() throws {
        let plan = Planner.plan(try settings())
        for container in plan.containers {
            let modern = try wire(Planner.createRequest(container, provider: plan.settings.id, engine: APIVersion(1, 45)))
            let host = try #require(modern["HostConfig"] as? [String: Any])
            #expect(host["Annotations"] as? [String: String] == ["io.containerd.runc.v2.group": "tenantctl-acme"])
            // API 1.41 (Docker 20.10) has no such field: nothing is sent.
            let old = try wire(Planner.createRequest(container, provider: plan.settings.id, engine: APIVersion(1, 41)))
            #expect((old["HostConfig"] as? [String: Any])?["Annotations"] == nil)
            // The request is otherwise the plan's, whose hash leaves the annotation out, so
            // an engine upgrade does not recreate running providers.
            var stripped = Planner.createRequest(container, provider: plan.settings.id, engine: APIVersion(1, 45))
            stripped.HostConfig?.Annotations = nil
            #expect(stripped == container.request)
            #expect(ConfigHash.of(container.request) == container.configHash)
        }
        let other = Planner.plan(try settings("other", gateway: 6002, admin: 8082))
        let otherGroup = Planner.runtimeAnnotations(other.settings.id, engine: APIVersion(1, 43))
        #expect(otherGroup != Planner.runtimeAnnotations(plan.settings.id, engine: APIVersion(1, 43)))
        #expect(Planner.runtimeAnnotations(plan.settings.id, engine: APIVersion(1, 42)) == nil)
    }

    @Test func configHashMatchesItsGoldenValue() {
        let request = ContainerCreateRequest(
            Image: "tenantctl:0.1.0", Env: ["A=1"], Labels: ["io.tenantctl.provider": "acme", "io.tenantctl.config-hash": "ignored"])
        #expect(ConfigHash.of(request) == "0f4355aacdceaed7")
    }

    @Test func configHashIsStableAndFollowsSettings() throws {
        let first = Planner.plan(try settings())
        let again = Planner.plan(try settings())
        #expect(first.containers.map(\.configHash) == again.containers.map(\.configHash))
        #expect(first.containers[0].configHash.count == 16)
        #expect(ConfigHash.of(first.containers[0].request) == first.containers[0].configHash)  // own label ignored

        let moved = Planner.plan(try settings(gateway: 6002))
        #expect(moved.containers[0].configHash != first.containers[0].configHash)
        // The admin panel shows the gateway port (TENANT_GATEWAY_PORT), so it follows too.
        #expect(moved.containers[1].configHash != first.containers[1].configHash)
        #expect((try wire(moved.containers[1].request)["Env"] as? [String])?.contains("TENANT_GATEWAY_PORT=6002") == true)

        var bigger = try settings()
        bigger.memoryBytes = 1024 * 1024 * 1024
        #expect(Set(Planner.plan(bigger).containers.map(\.configHash)).isDisjoint(with: first.containers.map(\.configHash)))
    }
}

@Suite struct ReconcilerTests {
    private func observed(_ plan: ProviderPlan, state: String = "running") -> [ObservedContainer] {
        plan.containers.map { ObservedContainer(name: $0.name, id: "id-\($0.name)", role: $0.role, state: state, configHash: $0.configHash, hostPort: $0.hostPort) }
    }

    @Test func freshProviderGetsEverything() throws {
        let plan = Planner.plan(try settings())
        let steps = Reconciler.actions(plan: plan, observed: [], networkExists: false, volumeExists: false)
        #expect(steps.shared == [.createNetwork(name: "tenantctl_acme"), .createVolume(name: "tenantctl_acme_data")])
        #expect(steps.containers.map(\.actions) == [
            [.createContainer(role: .ingest, name: "remote_server_acme"), .startContainer(role: .ingest, name: "remote_server_acme")],
            [.createContainer(role: .admin, name: "admin_panel_acme"), .startContainer(role: .admin, name: "admin_panel_acme")],
        ])
    }

    @Test func runningProviderNeedsNothing() throws {
        let plan = Planner.plan(try settings())
        #expect(Reconciler.isSatisfied(plan: plan, observed: observed(plan)))
        #expect(Reconciler.actions(plan: plan, observed: observed(plan), networkExists: true, volumeExists: true).isEmpty)
    }

    @Test func stoppedContainersAreOnlyStarted() throws {
        let plan = Planner.plan(try settings())
        let steps = Reconciler.actions(plan: plan, observed: observed(plan, state: "exited"), networkExists: true, volumeExists: true)
        #expect(!Reconciler.isSatisfied(plan: plan, observed: observed(plan, state: "exited")))
        #expect(steps.all == [.startContainer(role: .ingest, name: "remote_server_acme"), .startContainer(role: .admin, name: "admin_panel_acme")])
    }

    @Test func changedSettingsRecreateOnlyWhatChanged() throws {
        let old = Planner.plan(try settings())
        let new = Planner.plan(try settings(admin: 8085))
        let steps = Reconciler.actions(plan: new, observed: observed(old), networkExists: true, volumeExists: true)
        #expect(steps.all == [
            .removeContainer(name: "admin_panel_acme", id: "id-admin_panel_acme"),
            .createContainer(role: .admin, name: "admin_panel_acme"), .startContainer(role: .admin, name: "admin_panel_acme"),
        ])
        // The gateway port is shown on the panel (TENANT_GATEWAY_PORT): both follow it.
        let moved = Reconciler.actions(plan: Planner.plan(try settings(gateway: 6005)), observed: observed(old), networkExists: true, volumeExists: true)
        #expect(moved.all.filter { if case .createContainer = $0 { true } else { false } }.count == 2)
    }

    @Test func missingContainerIsRecreated() throws {
        let plan = Planner.plan(try settings())
        let onlyIngest = observed(plan).filter { $0.role == .ingest }
        let steps = Reconciler.actions(plan: plan, observed: onlyIngest, networkExists: true, volumeExists: false)
        #expect(steps.all == [
            .createVolume(name: "tenantctl_acme_data"),
            .createContainer(role: .admin, name: "admin_panel_acme"), .startContainer(role: .admin, name: "admin_panel_acme"),
        ])
    }
}

@Suite struct PortChoiceTests {
    @Test func skipsPortsDockerUsesAndPortsBusyOnTheHost() {
        let port = PortChooser.next(from: 6001, used: [6001, 6002], isFreeOnHost: { $0 != 6003 })
        #expect(port == 6004)
    }

    @Test func startsAtTheFirstPortWhenAllIsFree() {
        #expect(PortChooser.next(from: 8081, used: [], isFreeOnHost: { _ in true }) == 8081)
    }

    @Test func returnsNilWhenNothingIsFree() {
        #expect(PortChooser.next(from: 65530, used: [65530, 65531], isFreeOnHost: { $0 < 65532 }) == nil)
    }
}

@Suite struct ResourceParsingTests {
    @Test(arguments: [("512m", Int64(512 * 1024 * 1024)), ("1g", Int64(1024 * 1024 * 1024)), ("256MiB", Int64(256 * 1024 * 1024)), ("8388608", Int64(8_388_608))])
    func memorySizes(text: String, bytes: Int64) {
        #expect(ResourceParsing.memoryBytes(text) == bytes)
    }

    @Test(arguments: ["", "m", "12x", "1k", "-5m", "99999999999999999g"])
    func badMemorySizes(text: String) {
        #expect(ResourceParsing.memoryBytes(text) == nil)
    }

    @Test func cpus() {
        #expect(ResourceParsing.nanoCPUs("0.5") == 500_000_000)
        #expect(ResourceParsing.nanoCPUs("2") == 2_000_000_000)
        #expect(ResourceParsing.nanoCPUs("0") == nil)
        #expect(ResourceParsing.nanoCPUs("abc") == nil)
    }
}
