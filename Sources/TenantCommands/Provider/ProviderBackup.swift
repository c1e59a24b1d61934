import ArgumentParser
import DockerClient
import Foundation
import TenantModel

extension TenantCtl {
    /// `tenantctl backup`.
    public struct ProviderBackup: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Copy a SQLite provider's database to a file, online and checked.",
            discussion: """
                A short-lived tenant-admin container on the provider's volume copies the database with \
                SQLite's online backup API (one consistent snapshot; the provider keeps running and \
                writing), runs PRAGMA integrity_check on the copy, and tenantctl downloads it through the \
                Engine API (so a remote engine works too) and checks its size. FILE must not exist yet. \
                Cassandra providers are backed up with Cassandra's own tools (docs/cassandra.md).

                Examples:
                  tenantctl backup acme --output acme-$(date +%F).db
                  tenantctl backup acme --output /var/backups/acme.db --json
                """)

        @Argument(help: ArgumentHelp("Provider id.", valueName: "ID")) public var id: String
        @Option(name: [.short, .long], help: ArgumentHelp("File to write (must not exist).", valueName: "FILE")) public var output: String
        @Flag(help: "Print the result as JSON.") public var json = false
        @OptionGroup public var global: GlobalOptions

        public init() {}

        /// Where the job writes its copy inside its own container (not on the provider's volume).
        static let jobPath = "/tmp/tenantctl-backup.db"

        public func validate() throws {
            _ = try validatedProviderID(id)
            guard !output.isEmpty else { throw ValidationError("--output needs a file name") }
            if FileManager.default.fileExists(atPath: output) { throw ValidationError("\(output) exists; choose a new file name (a backup never overwrites)") }
        }

        struct Result: Codable, Sendable {
            var provider: String
            var file: String
            var bytes: Int
            var check: String
        }

        public func run() async throws {
            let provider = try validatedProviderID(id)
            let client = try await global.client()
            guard !(try await providerContainers(client, provider)).isEmpty else { throw TenantCtlError.unknownProvider(provider) }
            let job = try await ProviderJob.make(client: client, provider: provider, job: "backup", arguments: ["--backup-to", Self.jobPath])
            guard ProviderJob.isSQLite(job.request) else {
                throw TenantCtlError(
                    "provider \(provider) stores its data in Cassandra: back it up with Cassandra's tools (nodetool snapshot), see docs/cassandra.md",
                    exitCode: ExitStatus.usage)
            }
            let output = self.output
            let downloaded = LockedValue<Int?>(nil)
            let outcome = try await job.run { container in
                let size = try await ArchiveFile.download(client, container: container, path: Self.jobPath, to: output)
                downloaded.withLock { $0 = size }
            }
            try outcome.check("backing up \(provider)", image: job.request.Image)
            let size = downloaded.withLock { $0 } ?? 0
            // The job states the size of the copy it checked; the file must be that copy, whole.
            guard let stated = Self.statedBytes(outcome.lastLine), stated == size else {
                try? FileManager.default.removeItem(atPath: output)
                throw TenantCtlError("backup of \(provider): downloaded \(size) bytes, but the checked copy has \(Self.statedBytes(outcome.lastLine).map(String.init) ?? "an unknown size"); nothing was kept")
            }
            let check = outcome.lastLine.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if json {
                try JSONOutput.print(Result(provider: provider.rawValue, file: output, bytes: size, check: check))
            } else {
                Console.print("backup of provider \(provider) written to \(output): \(check)")
            }
        }

        /// `N` from the job's `...: N bytes, ...` line.
        static func statedBytes(_ line: String) -> Int? {
            guard let range = line.range(of: " bytes") else { return nil }
            return Int(line[..<range.lowerBound].split(separator: " ").last ?? "")
        }
    }
}
