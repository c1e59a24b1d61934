import ArgumentParser
import DockerClient
import Foundation
import TenantModel

extension TenantCtl {
    /// `tenantctl top`.
    public struct ProviderTop: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "top",
            abstract: "Show every provider's live figures, refreshed like docker stats.",
            discussion: """
                For each provider: gateways connected, readings stored in the last minute, the last reading's age, \
                mails pending and mail delivery failures, read from the servers' own metrics. The metrics listeners \
                are never published, so each figure comes from `tenant-ingest --print-metrics` / \
                `tenant-admin --print-metrics` run in the container through the engine (a few providers at a time). \
                '?' means the server did not answer (see --json's problems).

                Examples:
                  tenantctl top
                  tenantctl top acme globex
                  tenantctl top --no-stream --json | jq '.[] | select(.readings_last_minute == 0) | .provider'
                """)

        @Argument(help: ArgumentHelp("Only these providers (default: every provider).", valueName: "ID")) public var ids: [String] = []
        @Flag(help: "Print the figures once and exit.") public var noStream = false
        @Flag(help: "Print a JSON array of {provider, state, figures...} per refresh.") public var json = false
        @Option(help: "Seconds between refreshes.") public var interval: Double = 2
        @OptionGroup public var global: GlobalOptions

        public init() {}

        public func validate() throws {
            guard interval >= 0.5, interval <= 3600 else { throw ValidationError("--interval must be from 0.5 to 3600 seconds") }
            for id in ids { _ = try validatedProviderID(id) }
        }

        /// One provider's row.
        struct Row: Codable, Sendable {
            var provider: String
            var state: String
            var figures: LiveFigures

            func encode(to encoder: any Encoder) throws {
                try figures.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(provider, forKey: .provider)
                try container.encode(state, forKey: .state)
            }

            enum Keys: String, CodingKey { case provider, state }
        }

        public func run() async throws {
            let client = try await global.client()
            while true {
                let rows = try await Self.rows(client, only: Set(ids))
                if json {
                    try JSONOutput.print(rows)
                } else {
                    // Like docker stats: redraw in place on a terminal, append otherwise.
                    if !noStream && isatty(STDOUT_FILENO) == 1 { Console.current.out("\u{1B}[H\u{1B}[2J") }
                    Console.print(Self.table(rows))
                }
                if noStream { return }
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }

        /// Every provider's row, or only those in `only` when it is not empty.
        static func rows(_ client: DockerClient, only: Set<String> = []) async throws -> [Row] {
            let summaries: [DockerAPIContainerSummary]
            do { summaries = try await client.listContainers(all: true, labels: [Labels.provider]) } catch {
                throw TenantCtlError("listing containers", error)
            }
            let providers = ProviderInventory.providers(from: summaries).filter { only.isEmpty || only.contains($0.provider) }
            let figures = await LiveFigureReader.read(client, providers)
            return zip(providers, figures).map { Row(provider: $0.provider, state: $0.state, figures: $1) }
        }

        static func table(_ rows: [Row]) -> String {
            guard !rows.isEmpty else { return "no providers" }
            var lines = [["PROVIDER", "STATE", "GATEWAYS", "READINGS/MIN", "LAST READING", "MAILS PENDING", "MAIL FAILURES"]]
            for row in rows {
                let figures = row.figures
                lines.append([
                    row.provider, row.state, figures.gatewaysConnected.map(String.init) ?? "?", figures.readingsLastMinute.map(String.init) ?? "?",
                    LiveFigures.age(figures.lastReadingAgeSeconds, known: figures.readingsStored != nil),
                    figures.mailsPending.map(String.init) ?? "?", figures.mailFailures.map(String.init) ?? "?",
                ])
            }
            return Table.render(lines)
        }
    }
}
