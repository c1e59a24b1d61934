import DockerAPI
import DockerClient
import Foundation
import TenantModel

/// What a provider's servers are doing right now, from their own metrics.
public struct LiveFigures: Codable, Sendable, Hashable {
    /// Gateway connections open on tenant-ingest.
    public var gatewaysConnected: Int?
    /// Readings stored in the minute before the reading.
    public var readingsLastMinute: Int?
    /// Readings stored since tenant-ingest started.
    public var readingsStored: Int?
    /// Seconds since a reading was last stored; nil when none was since the server started.
    public var lastReadingAgeSeconds: Int?
    /// Mails waiting in tenant-admin's outbox.
    public var mailsPending: Int?
    /// Delivery attempts that failed since tenant-admin started.
    public var mailFailures: Int?
    /// Why figures are missing, one line per server that did not answer.
    public var problems: [String]?

    public init() {}

    /// Figures from both servers' samples (nil: that server did not answer), at `now` (Unix seconds).
    init(ingest: [MetricSample]?, admin: [MetricSample]?, now: Double) {
        if let ingest {
            gatewaysConnected = ingest.value(MetricName.Ingest.connections).map { Int($0) }
            readingsLastMinute = ingest.value(MetricName.Ingest.readingsStoredLastMinute).map { Int($0) }
            readingsStored = ingest.value(MetricName.Ingest.readingsStored).map { Int($0) }
            if let stamp = ingest.value(MetricName.Ingest.lastReadingTimestamp), stamp > 0 {
                lastReadingAgeSeconds = max(0, Int((now - stamp).rounded(.down)))
            }
        }
        if let admin {
            mailsPending = admin.value(MetricName.Admin.outboxPending).map { Int($0) }
            mailFailures = admin.value(MetricName.Admin.mailFailures).map { Int($0) }
        }
    }

    /// One line for `status`: `3 gateways connected, 1200 readings in the last minute, ...`.
    var summary: String {
        var parts: [String] = []
        parts.append("\(gatewaysConnected.map(String.init) ?? "?") gateways connected")
        parts.append("\(readingsLastMinute.map(String.init) ?? "?") readings in the last minute")
        parts.append("last reading \(Self.age(lastReadingAgeSeconds, known: readingsStored != nil))")
        parts.append("\(mailsPending.map(String.init) ?? "?") mails pending")
        return parts.joined(separator: ", ")
    }

    /// `4s ago`, `3m ago`, `2h ago`, `5d ago`; `none since start` when the server stored nothing yet.
    static func age(_ seconds: Int?, known: Bool) -> String {
        guard known else { return "?" }
        guard let seconds else { return "none since start" }
        switch seconds {
        case ..<120: return "\(seconds)s ago"
        case ..<7200: return "\(seconds / 60)m ago"
        case ..<172_800: return "\(seconds / 3600)h ago"
        default: return "\(seconds / 86_400)d ago"
        }
    }
}

/// Reads live figures from a provider's running servers through the engine.
///
/// The metrics listeners are on the provider's network only and never published, so the
/// host cannot dial them. The engine runs `tenant-ingest --print-metrics` (and the admin
/// equivalent) inside each container instead: a short-lived process that GETs its server's
/// `/metrics` on the container's loopback and prints it. Cost per container: three Engine
/// API calls and one small process (no shell, no curl in the image); `top` reads providers
/// in parallel, a few at a time.
enum LiveFigureReader {
    /// How many servers `top` reads at once.
    static let parallelism = 8

    /// The figures of one provider; containers that are not running give problems, not figures.
    static func read(_ client: DockerClient, _ view: ProviderView, now: Double = Date().timeIntervalSince1970) async -> LiveFigures {
        async let ingest = scrape(client, view.containers.first { $0.role == Role.ingest.rawValue }, executable: "tenant-ingest")
        async let admin = scrape(client, view.containers.first { $0.role == Role.admin.rawValue }, executable: "tenant-admin")
        let (ingestResult, adminResult) = await (ingest, admin)
        var figures = LiveFigures(ingest: try? ingestResult.get(), admin: try? adminResult.get(), now: now)
        let problems = [ingestResult, adminResult].compactMap { result -> String? in
            if case .failure(let problem) = result { return problem.description }
            return nil
        }
        figures.problems = problems.isEmpty ? nil : problems
        return figures
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func scrape(_ client: DockerClient, _ container: ContainerView?, executable: String) async -> Result<[MetricSample], Problem> {
        guard let container else { return .failure(Problem(description: "\(executable): no container")) }
        guard container.state == "running" else { return .failure(Problem(description: "\(container.name): \(container.state)")) }
        do {
            let (code, output) = try await client.exec(id: container.id, command: [executable, "--print-metrics"], timeout: .seconds(10))
            var demuxer = LogDemuxer()
            let frames = demuxer.feed(output)
            let stdout = frames.filter { $0.stream == .stdout }.flatMap(\.payload)
            guard code == 0 else {
                let stderr = String(decoding: frames.filter { $0.stream == .stderr }.flatMap(\.payload), as: UTF8.self)
                // The first line says why (an older image answers "Error: Unknown option '--print-metrics'").
                let reason = stderr.split(whereSeparator: \.isNewline).first.map { String($0) } ?? "exit \(code)"
                return .failure(Problem(description: "\(container.name): \(reason)"))
            }
            return .success(PrometheusText.parse(String(decoding: stdout, as: UTF8.self)))
        } catch {
            return .failure(Problem(description: "\(container.name): \(error)"))
        }
    }

    /// Figures for many providers, `parallelism` at a time, in the order given.
    static func read(_ client: DockerClient, _ views: [ProviderView]) async -> [LiveFigures] {
        let now = Date().timeIntervalSince1970
        var results = [LiveFigures?](repeating: nil, count: views.count)
        await withTaskGroup(of: (Int, LiveFigures).self) { group in
            var next = 0
            func add() {
                guard next < views.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await read(client, views[index], now: now)) }
            }
            for _ in 0..<min(parallelism, views.count) { add() }
            while let (index, figures) = await group.next() {
                results[index] = figures
                add()
            }
        }
        return results.map { $0 ?? LiveFigures() }
    }
}
