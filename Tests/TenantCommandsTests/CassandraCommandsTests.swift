import DockerAPI
import DockerClient
import Foundation
import Logging
import Synchronization
import TenantCassandra
import TenantCtlCassandra
import TenantModel
import TenantPlan
import TenantTestSupport
import Testing

@testable import TenantCommands

let cassandraImage = "cassandra:test"

/// What a failing CQL client throws: a plain error, not a TenantCtlError.
struct DropFailure: Error, CustomStringConvertible {
    var description: String { "no host available: connection refused" }
}

/// Records create/drop calls instead of talking to Cassandra.
final class RecordingProvisioner: KeyspaceProvisioner {
    let calls = Mutex<[String]>([])
    let failDrop: Bool
    init(failDrop: Bool = false) { self.failDrop = failDrop }

    func createKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
        calls.withLock { $0.append("create \(provider)@\(contactPoints.map(\.description).joined(separator: ","))") }
    }

    func dropKeyspace(provider: ProviderID, contactPoints: [HostPort], logger: Logger) async throws {
        calls.withLock { $0.append("drop \(provider)@\(contactPoints.map(\.description).joined(separator: ","))") }
        if failDrop { throw DropFailure() }
    }

    var recorded: [String] { calls.withLock { $0 } }
}

/// A factory like the real one's shape that records the replication text it was given.
final class RecordingFactory: Sendable {
    let provisioner = RecordingProvisioner()
    let replications = Mutex<[String?]>([])
    var factory: CassandraProvisionerFactory {
        { text in
            self.replications.withLock { $0.append(text) }
            _ = try text.map { try Replication(parsing: $0) }
            return self.provisioner
        }
    }
}

private func body(_ request: DockerRequest) throws -> ContainerCreateRequest {
    try JSONDecoder().decode(ContainerCreateRequest.self, from: try #require(request.body))
}

@Suite struct DatabaseCommandTests {
    @Test func startCreatesLabelledNetworkVolumeAndContainerWithoutProviderLabel() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        let result = await tenantctl(["db", "start", "--image", cassandraImage, "--port", "19042", "--json"], transport: fake)
        #expect(result.code == 0, "\(result.err)")

        let network = try #require(fake.networks.first)
        #expect(fake.networks.count == 1)
        #expect(network.Name == "tenantctl_shared")
        #expect(network.Labels == ["io.tenantctl.role": "network"])
        let volume = try #require(fake.volumes.first)
        #expect(fake.volumes.count == 1)
        #expect(volume.Name == "tenantctl_db_data")
        #expect(volume.Labels == ["io.tenantctl.role": "data"])

        let container = try #require(fake.containers.first)
        #expect(fake.containers.count == 1)
        #expect(container.name == "tenantctl_db")
        #expect(container.state == "running")
        let create = try body(try #require(fake.requests.first { $0.target.hasSuffix("containers/create?name=tenantctl_db") }))
        #expect(create.Image == cassandraImage)
        #expect(create.Labels?["io.tenantctl.role"] == "db")
        #expect(create.Labels?["io.tenantctl.provider"] == nil)
        #expect(create.Labels?["io.tenantctl.host-port"] == "19042")
        #expect(create.Labels?["io.tenantctl.config-hash"]?.count == 16)
        #expect(create.ExposedPorts?.keys.sorted() == ["9042/tcp"])
        #expect(create.HostConfig?.PortBindings?["9042/tcp"]?.first?.HostPort == "19042")
        #expect(create.HostConfig?.RestartPolicy == RestartPolicy(Name: "unless-stopped", MaximumRetryCount: 0))
        #expect(create.HostConfig?.Mounts == [Mount(Type: "volume", Source: "tenantctl_db_data", Target: "/var/lib/cassandra", ReadOnly: false)])
        #expect(create.HostConfig?.NetworkMode == "tenantctl_shared")
        #expect(create.Healthcheck?.Test == ["CMD-SHELL", "cqlsh -e 'describe keyspaces' > /dev/null 2>&1 || exit 1"])
        #expect(container.networks == ["tenantctl_shared"])

        let json = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(json["state"] as? String == "running")
        #expect(json["port"] as? Int == 19042)
        #expect(json["contact_point"] as? String == "tenantctl_db:9042")
    }

    @Test func startIsIdempotentAndRepairsAHalfUpDatabase() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        fake.clearRequests()
        // Re-run (image kept from the container, port kept from its label): nothing changes.
        let again = await tenantctl(["db", "start"], transport: fake)
        #expect(again.code == 0, "\(again.err)")
        #expect(again.out.contains("already running (port 9042)"))
        #expect(fake.changingRequests.isEmpty)

        // Stopped behind our back: only started.
        fake.setState(container: "tenantctl_db", "exited")
        fake.clearRequests()
        #expect(await tenantctl(["db", "start"], transport: fake).code == 0)
        #expect(fake.changingRequests.count == 1)
        #expect(fake.changingRequests.first?.path.hasSuffix("/start") == true)
        #expect(fake.containers.first?.state == "running")

        // Container removed: recreated on the existing network and volume.
        fake.deleteContainer(named: "tenantctl_db")
        fake.clearRequests()
        let repaired = await tenantctl(["db", "start", "--image", cassandraImage], transport: fake)
        #expect(repaired.code == 0, "\(repaired.err)")
        #expect(!fake.changingRequests.contains { $0.path.contains("/networks/create") || $0.path.contains("/volumes/create") })
        #expect(fake.containers.map(\.name) == ["tenantctl_db"])
        #expect(fake.networks.count == 1 && fake.volumes.count == 1)
    }

    @Test func changedPortRecreatesTheContainerAndKeepsTheVolume() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        let first = try #require(fake.containers.first?.id)
        let result = await tenantctl(["db", "start", "--port", "19043"], transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let container = try #require(fake.containers.first)
        #expect(fake.containers.count == 1 && container.id != first)
        #expect(container.config.HostConfig?.PortBindings?["9042/tcp"]?.first?.HostPort == "19043")
        #expect(fake.volumes.map(\.Name) == ["tenantctl_db_data"])
    }

    @Test func startWithoutAnImageIsRefusedBeforeChangingAnything() async {
        let fake = FakeDockerTransport(images: [cassandraImage])
        let result = await tenantctl(["db", "start"], transport: fake)
        #expect(result.code == ExitStatus.usage)
        #expect(result.err.contains("--image") && result.err.contains("TENANTCTL_CASSANDRA_IMAGE"))
        #expect(fake.changingRequests.isEmpty)
        #expect(await tenantctl(["db", "start", "--image", cassandraImage, "--port", "0"], transport: fake).code == ExitStatus.usage)
    }

    @Test func failedStartRemovesWhatTheRunCreated() async {
        let fake = FakeDockerTransport(images: [])  // image missing: container create fails
        let result = await tenantctl(["db", "start", "--image", "nope:1"], transport: fake)
        #expect(result.code == ExitStatus.notFound)
        #expect(result.err.contains("No such image"))
        #expect(fake.containers.isEmpty && fake.networks.isEmpty && fake.volumes.isEmpty)
    }

    @Test func stopKeepsDataAndStatusReportsStateAndPort() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "stop"], transport: fake).code == ExitStatus.notFound)
        let absent = await tenantctl(["db", "status", "--json"], transport: fake)
        #expect(absent.code == ExitStatus.notFound)
        #expect(try #require(JSONSerialization.jsonObject(with: Data(absent.out.utf8)) as? [String: Any])["state"] as? String == "absent")

        #expect(await tenantctl(["db", "start", "--image", cassandraImage, "--port", "19044"], transport: fake).code == 0)
        let running = await tenantctl(["db", "status", "--json"], transport: fake)
        #expect(running.code == 0)
        let status = try #require(JSONSerialization.jsonObject(with: Data(running.out.utf8)) as? [String: Any])
        #expect(status["state"] as? String == "running")
        #expect(status["port"] as? Int == 19044)
        #expect(status["volume"] as? String == "tenantctl_db_data")
        #expect(status["network"] as? String == "tenantctl_shared")

        let stop = await tenantctl(["db", "stop"], transport: fake)
        #expect(stop.code == 0)
        #expect(stop.out.contains("data kept"))
        #expect(await tenantctl(["db", "stop"], transport: fake).out.contains("already stopped"))
        #expect(fake.containers.first?.state == "exited")
        #expect(fake.volumes.map(\.Name) == ["tenantctl_db_data"])
        let human = await tenantctl(["db", "status"], transport: fake)
        #expect(human.out.hasPrefix("shared database tenantctl_db: exited"))
        #expect(human.out.contains("port: 19044"))
    }

    @Test func listIgnoresTheSharedDatabase() async throws {
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        let list = await tenantctl(["list", "--json"], transport: fake)
        #expect(list.code == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [Any])?.isEmpty == true)
    }
}

@Suite struct CassandraProviderTests {
    /// The requests only, on the fake engine: each provider on its own network, which the
    /// database joins. That this lets a provider reach the database and not another provider
    /// is shown with real connections in SharedDatabaseIntegrationTests.
    @Test func sharedCassandraProvidersGetOwnNetworksTheDatabaseJoins() async throws {
        let fake = FakeDockerTransport(images: [image, cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        for (provider, port) in [("acme", 1), ("solar", 2)] {
            let result = await tenantctl(
                ["start-provider", provider, "--image", image, "--no-wait", "--gateway-port", "1600\(port)", "--admin-port", "1808\(port)", "--store", "cassandra"], transport: fake)
            #expect(result.code == 0, "\(result.err)")
        }
        for provider in ["acme", "solar"] {
            for name in ["remote_server_\(provider)", "admin_panel_\(provider)"] {
                let container = try #require(fake.containers.first { $0.name == name })
                // Only the provider's own network: the other provider's containers are not on it.
                #expect(container.networks == ["tenantctl_\(provider)"], "\(name)")
                #expect(container.config.Env?.contains("TENANT_STORE=cassandra://tenantctl_db:9042/\(provider)") == true)
                #expect(container.config.Labels?["io.tenantctl.store"] == "cassandra://tenantctl_db:9042/\(provider)")
                #expect(container.config.Labels?["io.tenantctl.shared-network"] == "tenantctl_shared")
                // No data volume; the admin app mounts only its secrets (its settings key).
                #expect(container.config.HostConfig?.Mounts?.map(\.Target) == (name.hasPrefix("admin") ? ["/run/secrets/tenant"] : nil), "\(name)")
                #expect(container.state == "running")
            }
        }
        // The database joins each provider's network, before that provider's containers start.
        let database = try #require(fake.containers.first { $0.name == "tenantctl_db" })
        #expect(Set(database.networks) == ["tenantctl_shared", "tenantctl_acme", "tenantctl_solar"])
        let requests = fake.changingRequests
        let connect = try #require(requests.firstIndex { $0.path.hasSuffix("/networks/tenantctl_acme/connect") })
        for name in ["remote_server_acme", "admin_panel_acme"] {
            let id = try #require(fake.containers.first { $0.name == name }).id
            let start = try #require(requests.firstIndex { $0.path.hasSuffix("/start") && $0.path.contains(id) })
            #expect(connect < start, "\(name)")
        }
        #expect(fake.volumes.map(\.Name) == ["tenantctl_db_data", "tenantctl_acme_secrets", "tenantctl_solar_secrets"])  // no provider data volume

        // Idempotent: a re-run changes nothing.
        fake.clearRequests()
        #expect(await tenantctl(["start-provider", "acme", "--image", image, "--no-wait", "--gateway-port", "16001", "--admin-port", "18081", "--store", "cassandra"], transport: fake).code == 0)
        #expect(fake.changingRequests.isEmpty)

        // A recreated database container (new image) joins the providers' networks again.
        #expect(await tenantctl(["db", "start", "--image", cassandraImage, "--port", "19042"], transport: fake).code == 0)
        let recreated = try #require(fake.containers.first { $0.name == "tenantctl_db" })
        #expect(recreated.id != database.id)
        #expect(Set(recreated.networks) == ["tenantctl_shared", "tenantctl_acme", "tenantctl_solar"])

        // Removing a provider detaches the database from its network first, then removes it.
        #expect(await tenantctl(["remove", "solar", "--yes"], transport: fake).code == 0)
        #expect(!fake.networks.contains { $0.Name == "tenantctl_solar" })
        #expect(Set(try #require(fake.containers.first { $0.name == "tenantctl_db" }).networks) == ["tenantctl_shared", "tenantctl_acme"])
    }

    @Test func providersFromBeforeIsolationAreMovedOffTheSharedNetwork() async throws {
        let fake = FakeDockerTransport(images: [image, cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra"]), transport: fake).code == 0)
        // What an older tenantctl left: the containers on the shared network, the database not on theirs.
        let client = try await DockerClient.connect(transport: fake)
        for name in ["remote_server_acme", "admin_panel_acme"] { try await client.connectNetwork(id: "tenantctl_shared", container: name) }
        try await client.disconnectNetwork(id: "tenantctl_acme", container: "tenantctl_db")
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra"]), transport: fake).code == 0)
        for name in ["remote_server_acme", "admin_panel_acme"] {
            #expect(try #require(fake.containers.first { $0.name == name }).networks == ["tenantctl_acme"], "\(name)")
        }
        #expect(try #require(fake.containers.first { $0.name == "tenantctl_db" }).networks.contains("tenantctl_acme"))
    }

    @Test func planShowsTheDatabaseJoiningTheProviderNetworkAndDbStopWarnsItsUsers() async throws {
        let fake = FakeDockerTransport(images: [image, cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage], transport: fake).code == 0)
        fake.clearRequests()
        let plan = await tenantctl(["plan", "acme", "--image", image, "--store", "cassandra", "--gateway-port", "16001", "--admin-port", "18081"], transport: fake)
        #expect(plan.code == 0, "\(plan.err)")
        #expect(fake.changingRequests.isEmpty)
        let steps = try #require(JSONSerialization.jsonObject(with: Data(plan.out.utf8)) as? [[String: Any]])
        let connects = steps.filter { ($0["path"] as? String)?.hasSuffix("/networks/tenantctl_acme/connect") == true }
        #expect(connects.count == 1, "the database joins the provider's network")
        #expect(!steps.contains { ($0["path"] as? String)?.hasSuffix("/networks/tenantctl_shared/connect") == true })

        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra"]), transport: fake).code == 0)
        let stop = await tenantctl(["db", "stop"], transport: fake)
        #expect(stop.code == 0)
        #expect(stop.err.contains("warning: providers acme use the shared database"))
    }

    @Test func explicitContactPointsDoNotJoinTheSharedNetwork() async throws {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "10.0.0.5:9042"]), transport: fake)
        #expect(result.code == 0, "\(result.err)")
        let ingest = try #require(fake.containers.first { $0.name == "remote_server_acme" })
        #expect(ingest.networks == ["tenantctl_acme"])
        #expect(ingest.config.Env?.contains("TENANT_STORE=cassandra://10.0.0.5:9042/acme") == true)
        #expect(ingest.config.Labels?["io.tenantctl.shared-network"] == nil)
        #expect(!fake.requests.contains { $0.path.contains("/connect") })
    }

    @Test func sharedCassandraWithoutDbStartFailsClearlyAndCreatesNothing() async {
        let fake = FakeDockerTransport(images: [image])
        let result = await tenantctl(startArgs("acme", ["--store", "cassandra"]), transport: fake)
        #expect(result.code == ExitStatus.notFound)
        #expect(result.err.contains("tenantctl db start"))
        #expect(fake.changingRequests.isEmpty)
    }

    @Test func sqliteProvidersKeepTheirConfigHash() throws {
        // No store labels on SQLite containers: providers started before this change are not recreated.
        let plan = Planner.plan(ProviderSettings(id: try ProviderID("acme"), image: "i", gatewayPort: 1, adminPort: 2))
        for container in plan.containers {
            #expect(container.request.Labels?["io.tenantctl.store"] == nil)
            #expect(container.request.Labels?["io.tenantctl.shared-network"] == nil)
        }
    }
}

@Suite struct KeyspaceCommandTests {
    @Test(arguments: ["simple:x", "simple:0", "dc1", "dc1:3,dc1:2", "", "dc'1:3", "simple:3,dc1:2"])
    func invalidReplicationIsAUsageErrorNamingTheForms(text: String) async {
        let fake = FakeDockerTransport(images: [image])
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(TenantCtlCassandra.factory(environment: [:])) {
            await tenantctl(["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "db1", "--replication", text], transport: fake)
        }
        #expect(result.code == ExitStatus.usage, "\(text)")
        #expect(result.err.contains("simple:") || result.err.contains("data centre"), "\(text): \(result.err)")
        #expect(fake.requests.isEmpty)
    }

    @Test func replicationNeedsCassandraAndAProvisioner() async {
        let fake = FakeDockerTransport(images: [image])
        let sqlite = await KeyspaceProvisioners.$cassandraOverride.withValue(TenantCtlCassandra.factory(environment: [:])) {
            await tenantctl(["create-keyspace", "acme", "--replication", "simple:3"], transport: fake)
        }
        #expect(sqlite.code == ExitStatus.usage)
        #expect(sqlite.err.contains("--replication needs --store cassandra"))
    }

    @Test(arguments: [("simple:3", Replication.simple(factor: 3)), ("dc1:3,dc2:2", .networkTopology(["dc1": 3, "dc2": 2]))])
    func realFactoryBuildsTheLibraryProvisionerWithTheReplication(text: String, expected: Replication) throws {
        let made = try TenantCtlCassandra.factory(environment: [:])(text)
        let provisioner = try #require(made as? CassandraKeyspaceProvisioner)
        #expect(provisioner.replication == expected)
        #expect(provisioner.settings.credentials == nil)
        let defaulted = try #require(try TenantCtlCassandra.factory(environment: ["TENANT_CASSANDRA_REPLICATION": "simple:2"])(nil) as? CassandraKeyspaceProvisioner)
        #expect(defaulted.replication == .simple(factor: 2))
    }

    @Test func halfGivenCredentialsAreRefusedWithoutEchoingThePassword() async {
        let fake = FakeDockerTransport(images: [image])
        let factory = TenantCtlCassandra.factory(environment: ["TENANT_CASSANDRA_PASSWORD": "s3cret-pw"])
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(factory) {
            await tenantctl(["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "db1"], transport: fake)
        }
        #expect(result.code != 0)
        #expect(!result.err.contains("s3cret-pw") && !result.out.contains("s3cret-pw"))
    }

    @Test func createKeyspaceUsesTheRegisteredProvisionerWithTheReplication() async throws {
        let factory = RecordingFactory()
        let fake = FakeDockerTransport(images: [image])
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(factory.factory) {
            await tenantctl(
                ["create-keyspace", "acme", "--store", "cassandra", "--cassandra", "db1:9042,db2", "--replication", "dc1:3,dc2:2", "--json"],
                transport: fake)
        }
        #expect(result.code == 0, "\(result.err)")
        #expect(factory.provisioner.recorded == ["create acme@db1:9042,db2:9042"])
        #expect(factory.replications.withLock { $0 }.allSatisfy { $0 == "dc1:3,dc2:2" })
        #expect(fake.requests.isEmpty)
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(json["store"] as? String == "cassandra://db1:9042,db2:9042/acme")
    }

    @Test func createKeyspaceOnTheSharedDatabaseUsesItsPublishedPort() async throws {
        let factory = RecordingFactory()
        let fake = FakeDockerTransport(images: [cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage, "--port", "19045"], transport: fake).code == 0)
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(factory.factory) {
            await tenantctl(["create-keyspace", "acme", "--store", "cassandra", "--replication", "simple:1"], transport: fake)
        }
        #expect(result.code == 0, "\(result.err)")
        #expect(factory.provisioner.recorded == ["create acme@127.0.0.1:19045"])
        #expect(result.out == "keyspace acme is ready (cassandra://tenantctl_db:9042/acme)\n")
    }
}

@Suite struct RemoveCassandraProviderTests {
    @Test func purgeDataDropsTheKeyspaceAfterConfirmation() async throws {
        let recorder = RecordingProvisioner()
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "10.0.0.5:9042"]), transport: fake).code == 0)
        try await KeyspaceProvisioners.$cassandraOverride.withValue(KeyspaceProvisioners.fixed(recorder)) {
            let refused = await tenantctl(["remove", "acme", "--purge-data"], transport: fake, interactive: false)
            #expect(refused.code == ExitStatus.usage)
            let wrong = await tenantctl(["remove", "acme", "--purge-data"], transport: fake, interactive: true, answer: "nope")
            #expect(wrong.code == ExitStatus.failure)
            #expect(wrong.err.contains("keyspace acme"))
            #expect(recorder.recorded.isEmpty && fake.containers.count == 2)

            let done = await tenantctl(["remove", "acme", "--purge-data", "--json"], transport: fake, interactive: true, answer: "acme")
            #expect(done.code == 0, "\(done.err)")
            #expect(recorder.recorded == ["drop acme@10.0.0.5:9042"])
            let json = try #require(JSONSerialization.jsonObject(with: Data(done.out.utf8)) as? [String: Any])
            #expect(json["keyspaces"] as? [String] == ["acme"])
            #expect(fake.containers.isEmpty && fake.networks.isEmpty)
        }
    }

    @Test func removeWithoutPurgeKeepsTheKeyspace() async {
        let recorder = RecordingProvisioner()
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "db1"]), transport: fake).code == 0)
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(KeyspaceProvisioners.fixed(recorder)) {
            await tenantctl(["remove", "acme"], transport: fake)
        }
        #expect(result.code == 0)
        #expect(result.out.contains("kept keyspace acme"))
        #expect(recorder.recorded.isEmpty)
    }

    @Test func sharedDatabaseKeyspaceIsDroppedThroughThePublishedPort() async {
        let recorder = RecordingProvisioner()
        let fake = FakeDockerTransport(images: [image, cassandraImage])
        #expect(await tenantctl(["db", "start", "--image", cassandraImage, "--port", "19046"], transport: fake).code == 0)
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra"]), transport: fake).code == 0)
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(KeyspaceProvisioners.fixed(recorder)) {
            await tenantctl(["remove", "acme", "--purge-data", "--yes"], transport: fake)
        }
        #expect(result.code == 0, "\(result.err)")
        #expect(recorder.recorded == ["drop acme@127.0.0.1:19046"])
        #expect(fake.containers.map(\.name) == ["tenantctl_db"])  // the shared db stays
        #expect(fake.networks.map(\.Name) == ["tenantctl_shared"])
    }

    @Test func failedDropLeavesTheStoppedContainersForARetry() async {
        let recorder = RecordingProvisioner(failDrop: true)
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "db1"]), transport: fake).code == 0)
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(KeyspaceProvisioners.fixed(recorder)) {
            await tenantctl(["remove", "acme", "--purge-data", "--yes"], transport: fake)
        }
        #expect(result.code == ExitStatus.failure)
        #expect(result.err.contains("dropping keyspace acme") && result.err.contains("retry") && result.err.contains("connection refused"))
        #expect(fake.containers.count == 2 && fake.containers.allSatisfy { $0.state == "exited" })
    }

    @Test func purgeWithoutAProvisionerRemovesNothing() async {
        let fake = FakeDockerTransport(images: [image])
        #expect(await tenantctl(startArgs("acme", ["--store", "cassandra", "--cassandra", "db1"]), transport: fake).code == 0)
        let result = await KeyspaceProvisioners.$cassandraOverride.withValue(nil) {
            await tenantctl(["remove", "acme", "--purge-data", "--yes"], transport: fake)
        }
        #expect(result.code != 0)
        #expect(fake.containers.count == 2 && fake.containers.allSatisfy { $0.state == "running" })
    }
}
