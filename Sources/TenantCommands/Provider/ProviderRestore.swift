import ArgumentParser
import DockerAPI
import DockerClient
import Foundation
import TenantModel

extension TenantCtl {
    /// `tenantctl restore`.
    public struct ProviderRestore: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Replace a SQLite provider's database with a backup file (checked first).",
            discussion: """
                Uploads FILE through the Engine API into a short-lived tenant-admin container on the \
                provider's volume, which checks it (PRAGMA integrity_check, a schema this image knows, not \
                another provider's data) and copies it over the provider's database with SQLite's backup API. \
                A running provider is stopped first and started again afterwards, which needs --yes; a \
                stopped one stays stopped. If the check fails, the data and the containers are left as they were.

                Examples:
                  tenantctl restore acme --input acme-2026-12-01.db --yes
                  tenantctl stop acme && tenantctl restore acme --input acme.db && tenantctl start-provider acme
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(name: [.short, .long], help: ArgumentHelp("Backup file written by `tenantctl backup`.", valueName: "FILE")) public var input: String
        @Flag(help: "Stop a running provider, restore, and start it again without asking.") public var yes = false
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        /// Where the upload lands inside the job's own container.
        static let jobDirectory = "/tmp"
        static let jobFile = "tenantctl-restore.db"

        public func validate() throws {
            _ = try validatedProviderID(id)
            _ = try Self.readBackup(input, headerOnly: true)
        }

        /// The file's bytes (only its first 16 with `headerOnly`); a usage error unless it is a
        /// readable SQLite database file.
        static func readBackup(_ path: String, headerOnly: Bool = false) throws -> Data {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
            defer { try? handle.close() }
            let data = try? headerOnly ? handle.read(upToCount: 16) : handle.readToEnd()
            guard let data, data.starts(with: Array("SQLite format 3\u{0}".utf8)) else {
                throw ValidationError("\(path) is not an SQLite database file")
            }
            return data
        }

        struct Result: Codable, Sendable {
            var provider: String
            var file: String
            var check: String
            var restarted: [String]
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let backup = try Self.readBackup(input)
            let client = try await global.client()
            let containers = try await providerContainers(client, provider)
            guard !containers.isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let job = try await ProviderJob.make(
                client: client, provider: provider, job: "restore", arguments: ["--restore-from", "\(Self.jobDirectory)/\(Self.jobFile)"])
            guard ProviderJob.isSQLite(job.request) else {
                throw TenantCtlError("provider \(provider) stores its data in Cassandra: restore it with Cassandra's tools, see docs/cassandra.md", exitCode: ExitStatus.usage)
            }
            let running = containers.filter { summary in
                ServerContainers.isServer(summary) && (summary.State == "running" || summary.State == "restarting")
            }.sorted { $0.name < $1.name }
            if !running.isEmpty, !yes {
                throw TenantCtlError(
                    "provider \(provider) is running: restore stops it, replaces its data with \(input) and starts it again; pass --yes to do that",
                    exitCode: ExitStatus.usage)
            }
            for container in running {
                do { try await client.stopContainer(id: container.Id) } catch DockerError.notModified {} catch {
                    await Self.start(running, client)
                    throw TenantCtlError("stopping \(container.name)", error)
                }
            }
            let outcome: ProviderJob.Outcome
            do {
                outcome = try await job.run(upload: (Self.jobDirectory, ArchiveFile.archive(name: Self.jobFile, contents: backup)))
                try outcome.check("restoring \(provider) from \(input)", image: job.request.Image)
            } catch {
                // The data is as it was: bring back what ran.
                await Self.start(running, client)
                throw error
            }
            let failed = await Self.start(running, client)
            guard failed.isEmpty else {
                throw TenantCtlError("restored \(provider), but could not start again: \(failed.joined(separator: "; ")); run `tenantctl start-provider \(provider)`")
            }
            let check = outcome.lastLine.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if json {
                try JSONOutput.print(Result(provider: provider.rawValue, file: input, check: check, restarted: running.map(\.name)))
                return
            }
            Console.print("restored provider \(provider) from \(input): \(check)")
            if !running.isEmpty { Console.print("started again: \(running.map(\.name).joined(separator: ", "))") }
        }

        /// Starts `containers`; returns what failed, one phrase each.
        @discardableResult
        static func start(_ containers: [ContainerSummary], _ client: DockerClient) async -> [String] {
            var failed: [String] = []
            for container in containers {
                do { try await client.startContainer(id: container.Id) } catch DockerError.notModified {} catch {
                    failed.append("\(container.name): \(error)")
                }
            }
            return failed
        }
    }
}

/// Whether a listed container is one of a provider's two servers.
enum ServerContainers {
    static func isServer(_ summary: ContainerSummary) -> Bool {
        summary.Labels?[Labels.role] == Role.ingest.rawValue || summary.Labels?[Labels.role] == Role.admin.rawValue
    }
}
