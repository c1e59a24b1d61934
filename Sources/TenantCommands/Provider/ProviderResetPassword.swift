import ArgumentParser
import DockerClient
import TenantModel

extension TenantCtl {
    /// `tenantctl reset-password`.
    public struct ProviderResetPassword: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give a staff user of a provider a new generated password, printed once; ends that user's sessions.",
            discussion: """
                Generates a password like the first start does and prints it once. Only its yescrypt hash \
                leaves tenantctl: a short-lived tenant-admin container (the provider's image, its store, no \
                network for SQLite) sets it on the user and ends the user's sessions, while the provider keeps \
                running. A store with no staff account at all gets the user created. An unknown user exits 3 \
                and names the users that exist.

                Examples:
                  tenantctl reset-password acme
                  tenantctl reset-password acme --user alice --json
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(help: ArgumentHelp("Staff user name.", valueName: "NAME")) public var user = "admin"
        @Flag(help: "Print {provider, user, password} as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            _ = try validatedProviderID(id)
            guard !user.isEmpty, user.count <= 64, user.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f }) else {
                throw ValidationError("--user must be 1 to 64 characters without spaces or control characters")
            }
        }

        struct Result: Codable, Sendable {
            var provider: String
            var user: String
            var password: String
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            guard !(try await providerContainers(client, provider)).isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let secret = try await Provisioner.generateBootstrapSecret()
            guard let password = secret.password else { throw TenantCtlError("no password was generated") }
            // A hash, not the password, goes into the job's environment (and so into its inspect data).
            let job = try await ProviderJob.make(
                client: client, provider: provider, job: "password", arguments: ["--set-password", user],
                environment: ["TENANT_ADMIN_PASSWORD_HASH=\(secret.hash)"])
            let outcome = try await job.run(timeout: .seconds(120))
            try outcome.check("resetting the password of '\(user)' of \(provider)", image: job.request.Image)
            if json {
                try JSONOutput.print(Result(provider: provider.rawValue, user: user, password: password))
                return
            }
            Console.print(outcome.lastLine)
            Console.print("new password for user '\(user)' of provider \(provider) (shown once, store it now): \(password)")
        }
    }
}
