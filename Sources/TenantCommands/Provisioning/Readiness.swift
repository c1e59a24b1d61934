import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan

/// Waits until a started provider serves: its gateway port answers a protocol exchange and
/// its admin `/health` answers 200. Fails early, with the server's last log line, when a
/// container exits or crash-loops instead of waiting out the timeout.
public struct ProviderReadiness: Sendable {
    /// Engine client (container state and logs of a failing server).
    public let client: DockerClient
    /// Where the published ports are reached (``ServerProbe/host(forEngineEndpoint:)``).
    public let host: String

    /// Creates a waiter.
    public init(client: DockerClient, host: String) {
        self.client = client
        self.host = host
    }

    /// What is not ready, one entry per server.
    public struct NotReady: Error, Sendable, CustomStringConvertible {
        /// The provider.
        public var provider: ProviderID
        /// `gateway port 6001: connection refused`, `admin container exited: <last log line>`.
        public var problems: [String]
        /// True when the deadline passed; false when a server stopped or crash-loops.
        public var timedOut: Bool
        /// How long it waited.
        public var waited: Duration

        public var description: String {
            let what = timedOut ? "not ready after \(Self.seconds(waited))" : "not ready"
            return "provider \(provider) is \(what): \(problems.joined(separator: "; "))"
        }

        static func seconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            return "\(seconds).\(attoseconds / 100_000_000_000_000_000) s"
        }

        /// The exit code: 75 (EX_TEMPFAIL) on a timeout, 1 when a server failed.
        public var exitCode: Int32 { timedOut ? ExitStatus.timeout : ExitStatus.failure }
    }

    /// Polls both servers until both are ready or `timeout` passes. Probes start 20 ms apart
    /// and back off to 250 ms; container state is checked at most every 500 ms.
    public func wait(provider: ProviderID, gatewayPort: Int, adminPort: Int, timeout: Duration) async throws(NotReady) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + timeout
        var gateway = ServerProbe.Outcome.notReady("not probed")
        var admin = ServerProbe.Outcome.notReady("not probed")
        var pause = Duration.milliseconds(20)
        var nextStateCheck = start + .milliseconds(500)
        while true {
            let probeTimeout = min(.seconds(2), max(.milliseconds(100), clock.now.duration(to: deadline)))
            async let gatewayNow = gateway.isReady ? .ready : ServerProbe.gateway(host: host, port: gatewayPort, timeout: probeTimeout)
            async let adminNow = admin.isReady ? .ready : ServerProbe.admin(host: host, port: adminPort, timeout: probeTimeout)
            (gateway, admin) = await (gatewayNow, adminNow)
            if gateway.isReady && admin.isReady { return }
            if clock.now >= nextStateCheck {
                nextStateCheck = clock.now + .milliseconds(500)
                let failed = await failedServers(provider, roles: [gateway.isReady ? nil : .ingest, admin.isReady ? nil : .admin].compactMap { $0 })
                if !failed.isEmpty {
                    throw NotReady(provider: provider, problems: failed, timedOut: false, waited: start.duration(to: clock.now))
                }
            }
            if clock.now >= deadline {
                var problems: [String] = []
                if case .notReady(let reason) = gateway { problems.append("gateway port \(gatewayPort): \(reason)") }
                if case .notReady(let reason) = admin { problems.append("admin port \(adminPort) /health: \(reason)") }
                throw NotReady(provider: provider, problems: problems, timedOut: true, waited: start.duration(to: clock.now))
            }
            try? await Task.sleep(for: min(pause, clock.now.duration(to: deadline)))
            pause = min(pause * 2, .milliseconds(250))
        }
    }

    /// Servers among `roles` whose container has stopped or is being restarted, each with
    /// its last log line (a server states why it exits in one line).
    func failedServers(_ provider: ProviderID, roles: [Role]) async -> [String] {
        var failed: [String] = []
        for role in roles {
            let name = ProviderNames.container(role, provider)
            guard let inspect = try? await client.inspectContainer(id: name) else {
                failed.append("\(role.rawValue) container \(name) is missing")
                continue
            }
            let status = inspect.State.Status
            guard ["exited", "dead", "restarting"].contains(status) || inspect.State.Running == false else { continue }
            let exit = inspect.State.ExitCode.map { " (exit \($0))" } ?? ""
            let line = await lastLogLine(name).map { ": \($0)" } ?? ""
            failed.append("\(role.rawValue) container \(status)\(exit)\(line)")
        }
        return failed
    }

    /// The container's last non-empty log line, if any.
    func lastLogLine(_ container: String) async -> String? {
        guard let bytes = try? await client.logs(id: container, tail: 5) else { return nil }
        var demuxer = LogDemuxer()
        let frames = demuxer.feed(bytes)
        let text = frames.isEmpty ? String(decoding: bytes, as: UTF8.self) : frames.map { String(decoding: $0.payload, as: UTF8.self) }.joined()
        return text.split(whereSeparator: \.isNewline).last.map { String($0.prefix(300)) }
    }
}
