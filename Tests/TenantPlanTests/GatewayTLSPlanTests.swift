import DockerAPI
import TenantModel
import Testing

@testable import TenantPlan

@Suite struct GatewayTLSPlanTests {
    func plan(_ tls: GatewayTLSPlan?, digests: [SecretKind: String] = [:]) throws -> ProviderPlan {
        var settings = ProviderSettings(id: try ProviderID("tl_p"), image: "img", gatewayPort: 6001, adminPort: 8081)
        settings.gatewayTLS = tls
        settings.secretDigests = digests
        if let tls, tls.generated {
            for kind in [SecretKind.gatewayTLSCertificate, .gatewayTLSKey, .gatewayCACertificate] { settings.secretDigests[kind] = GatewayTLSPlan.generatedDigest }
        }
        return Planner.plan(settings)
    }

    @Test func aGeneratedCertificateGivesIngestTheTLSFilesAndTheCAForClientCertificates() throws {
        let plan = try plan(GatewayTLSPlan(mode: "required", generated: true))
        let ingest = try #require(plan.container(.ingest)).request
        let admin = try #require(plan.container(.admin)).request
        #expect(ingest.Env?.contains("TENANT_TLS=required") == true)
        #expect(ingest.Env?.filter { $0.hasPrefix("TENANT_TLS_") } == [
            "TENANT_TLS_CLIENT_CA_FILE=/run/secrets/tenant/gateway-ca-cert",
            "TENANT_TLS_CERT_FILE=/run/secrets/tenant/gateway-tls-cert",
            "TENANT_TLS_KEY_FILE=/run/secrets/tenant/gateway-tls-key",
        ])
        #expect(ingest.Labels?["io.tenantctl.gateway-tls"] == "required generated hosts=localhost,127.0.0.1")
        // The CA key is never given to a server, and admin sees none of it.
        #expect(ingest.Env?.contains { $0.contains("CA_KEY") } == false)
        #expect(admin.Env?.contains { $0.contains("TLS") } == false)
        #expect(admin.Labels?["io.tenantctl.gateway-tls"] == nil)
    }

    @Test func modeSourceAndHostsAreInTheIngestConfigHashOnly() throws {
        let plain = try plan(nil)
        let required = try plan(GatewayTLSPlan(mode: "required", generated: true))
        let optional = try plan(GatewayTLSPlan(mode: "optional", generated: true))
        let otherHosts = try plan(GatewayTLSPlan(mode: "required", generated: true, hosts: ["gw.example.net"]))
        let files = try plan(GatewayTLSPlan(mode: "required", generated: false), digests: [.gatewayTLSCertificate: "aaaaaaaa", .gatewayTLSKey: "bbbbbbbb"])
        let otherFiles = try plan(GatewayTLSPlan(mode: "required", generated: false), digests: [.gatewayTLSCertificate: "cccccccc", .gatewayTLSKey: "bbbbbbbb"])
        let hashes = [plain, required, optional, otherHosts, files, otherFiles].map { $0.container(.ingest)!.configHash }
        #expect(Set(hashes).count == hashes.count)
        #expect(Set([plain, required, optional, otherHosts, files].map { $0.container(.admin)!.configHash }).count == 1)
        // The user's files: no CA for client certificates, digests follow the files.
        let ingest = try #require(files.container(.ingest)).request
        #expect(ingest.Env?.contains { $0.hasPrefix("TENANT_TLS_CLIENT_CA_FILE=") } == false)
        #expect(ingest.Labels?["io.tenantctl.secret.gateway-tls-cert"] == "aaaaaaaa")
    }

    @Test func caFilesAreKeptInTheVolumeLikeTheSettingsKey() {
        #expect(SecretKind.gatewayCACertificate.isKeptInVolume && SecretKind.gatewayCAKey.isKeptInVolume && SecretKind.settingsKey.isKeptInVolume)
        #expect(!SecretKind.gatewayTLSCertificate.isKeptInVolume && !SecretKind.gatewayTLSKey.isKeptInVolume)
        #expect(SecretKind.gatewayCAKey.roles.isEmpty)
    }
}
