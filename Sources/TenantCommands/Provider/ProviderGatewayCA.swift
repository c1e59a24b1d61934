import ArgumentParser
import DockerClient
import TenantModel
import TenantPlan

extension TenantCtl {
    /// `tenantctl gateway-ca ID`.
    public struct ProviderGatewayCA: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "gateway-ca",
            abstract: "Print a provider's gateway CA certificate (PEM), for gateway vendors to trust.",
            discussion: """
                The CA is made by `start-provider --gateway-tls optional|required` (without certificate \
                files) and kept in the provider's secrets volume; it signs the gateway port's certificate \
                and, for mutual TLS, gateways' client certificates (CN or DNS SAN = gateway id). Only the \
                certificate is printed, never its key. A provider without one exits 3.

                Examples:
                  tenantctl gateway-ca acme > acme-gateway-ca.pem
                  tenantctl gateway-ca acme | openssl x509 -noout -subject -enddate
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            let all = try await providerContainers(client, provider)
            guard !all.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            // The ingest container mounts the secrets volume when it speaks TLS; the engine
            // reads a file of a mounted volume from a running or a stopped container alike.
            guard let ingest = all.first(where: { $0.Labels?[Labels.role] == Role.ingest.rawValue }),
                let pem = try await SecretsWriter.secretFile(client: client, container: ingest.Id, kind: .gatewayCACertificate)
            else {
                throw TenantCtlError(
                    "provider \(provider) has no gateway CA: start it with `tenantctl start-provider \(provider) --gateway-tls required`",
                    exitCode: ExitStatus.notFound)
            }
            Console.print(pem.hasSuffix("\n") ? String(pem.dropLast()) : pem)
        }
    }
}
