import DockerAPI
import DockerClient
import Foundation
import Synchronization
import TenantModel
import TenantPlan

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

/// Reads live figures from a provider's running servers.
///
/// The metrics listeners are on the provider's network only and never published. With a
/// local engine (a unix socket) tenantctl runs on the host the providers' bridges are routed
/// on, so it GETs `/metrics` straight from the container's address on its provider network
/// (one loopback-cheap request, no process anywhere), as the example Prometheus does. Where
/// that fails (a remote engine, a host that cannot route to the bridge) the engine runs
/// `tenant-ingest --print-metrics` (or the admin's) inside the container instead: three
/// Engine API calls and one short process, ~60 ms of CPU across dockerd, containerd and runc
/// each time, so `top` over many providers stays cheap only on the first path.
enum LiveFigureReader {
    /// How many servers `top` reads at once.
    static let parallelism = 8

    /// The figures of one provider; containers that are not running give problems, not figures.
    static func read(
        _ client: DockerClient, _ view: ProviderView, summaries: [DockerAPI.ContainerSummary], now: Double = Date().timeIntervalSince1970
    ) async -> LiveFigures {
        let addresses = directAddresses(client, provider: view.provider, summaries: summaries)
        let ingestContainer = view.containers.first { $0.role == Role.ingest.rawValue }
        let adminContainer = view.containers.first { $0.role == Role.admin.rawValue }
        async let ingest = scrape(client, ingestContainer, executable: "tenant-ingest", address: ingestContainer.flatMap { addresses[$0.id] })
        async let admin = scrape(client, adminContainer, executable: "tenant-admin", address: adminContainer.flatMap { addresses[$0.id] })
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

    /// Container id to its address on the provider's own network, when the engine is local
    /// (only then are the providers' bridges routed on this host).
    static func directAddresses(_ client: DockerClient, provider: String, summaries: [DockerAPI.ContainerSummary]) -> [String: String] {
        guard client.transport.endpoint.hasPrefix("unix://"), let id = try? ProviderID(provider) else { return [:] }
        let network = ProviderNames.network(id)
        var addresses: [String: String] = [:]
        for summary in summaries {
            if let ip = summary.NetworkSettings?.Networks?[network]?.IPAddress, !ip.isEmpty {
                addresses[summary.Id] = ip
            }
        }
        return addresses
    }

    static func scrape(_ client: DockerClient, _ container: ContainerView?, executable: String, address: String?) async -> Result<[MetricSample], Problem> {
        guard let container else { return .failure(Problem(description: "\(executable): no container")) }
        guard container.state == "running" else { return .failure(Problem(description: "\(container.name): \(container.state)")) }
        if let address, let body = await MetricsFetch.get(host: address, port: ProviderNames.metricsContainerPort) {
            return .success(PrometheusText.parse(String(decoding: body, as: UTF8.self)))
        }
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
    static func read(_ client: DockerClient, _ views: [ProviderView], summaries: [DockerAPI.ContainerSummary]) async -> [LiveFigures] {
        let now = Date().timeIntervalSince1970
        var results = [LiveFigures?](repeating: nil, count: views.count)
        await withTaskGroup(of: (Int, LiveFigures).self) { group in
            var next = 0
            func add() {
                guard next < views.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await read(client, views[index], summaries: summaries, now: now)) }
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

/// `GET /metrics` on a metrics listener, over ServerProbe's bounded blocking exchange; nil when
/// it does not answer 200 with a whole body within the timeout.
enum MetricsFetch {
    static func get(host: String, port: Int, timeout: Duration = .seconds(2)) async -> [UInt8]? {
        let body = Mutex<[UInt8]?>(nil)
        let request = Array("GET /metrics HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n".utf8)
        let outcome = await ServerProbe.exchange(host: host, port: port, timeout: timeout, request: request) { reply in
            guard let parsed = complete(reply) else { return nil }
            guard parsed.status == 200 else { return .notReady("status \(parsed.status)") }
            body.withLock { $0 = parsed.body }
            return .ready
        }
        return outcome.isReady ? body.withLock { $0 } : nil
    }

    /// Status and body once the headers and `Content-Length` bytes are in; nil before.
    static func complete(_ reply: [UInt8]) -> (status: Int, body: [UInt8])? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard reply.count >= 12, let end = reply.indices.dropLast(3).first(where: { reply[$0..<$0 + 4].elementsEqual(separator) }) else { return nil }
        let head = String(decoding: reply[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."), let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            return (0, [])
        }
        let length = lines.dropFirst().compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
        guard let length else { return (status, []) }
        let body = Array(reply[(end + 4)...])
        return body.count >= length ? (status, Array(body.prefix(length))) : nil
    }
}
