import ArgumentParser
import DockerAPI
import DockerClient
import Foundation
import Logging

/// Options every command takes.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp("Docker engine address: unix://PATH or tcp://HOST:PORT [environment: DOCKER_HOST].", valueName: "URL"))
    public var dockerHost: String?

    @Option(name: .long, help: ArgumentHelp("Seconds each Engine API call may take.", valueName: "SECONDS"))
    public var timeout: Int = 30

    @Flag(name: .long, help: "Log each step to stderr.")
    public var debug = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "auto (a swarm manager gets services, any other engine containers), engine or swarm [environment: TENANTCTL_ORCHESTRATOR].",
            valueName: "MODE"))
    public var orchestrator: OrchestratorChoice?

    public init() {}

    public mutating func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be 1 to 3600 seconds") }
    }

    /// A logger writing to stderr: debug with `--debug`, warnings otherwise.
    public var logger: Logger {
        var logger = Logger(label: "tenantctl") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = debug ? .debug : .warning
        return logger
    }

    /// The transport to the engine: the test override if one is set, else libcurl.
    public func transport() throws -> any DockerTransport {
        if let override = DockerEnvironment.transport { return override }
        do {
            return try CurlTransport(dockerHost: dockerHost ?? ProcessInfo.processInfo.environment["DOCKER_HOST"])
        } catch {
            throw TenantCtlError("\(error) (from \(dockerHost != nil ? "--docker-host" : "DOCKER_HOST"))", exitCode: ExitStatus.code(for: error))
        }
    }

    /// A client with a negotiated API version (one `/version` call), or the one
    /// `DOCKER_API_VERSION` pins, as with the docker CLI.
    func plainClient() async throws -> DockerClient {
        let transport = try transport()
        let pinned = try Self.pinnedVersion(DockerEnvironment.current["DOCKER_API_VERSION"])
        do {
            return try await DockerClient.connect(transport: transport, timeout: .seconds(timeout), pinned: pinned)
        } catch {
            throw TenantCtlError(error.description, exitCode: ExitStatus.code(for: error))
        }
    }
}

extension GlobalOptions {
    /// `DOCKER_API_VERSION`, parsed; nil when unset or empty.
    static func pinnedVersion(_ text: String?) throws -> APIVersion? {
        guard let text, !text.isEmpty else { return nil }
        guard let version = APIVersion(text), version.major >= 0, version.minor >= 0 else {
            throw TenantCtlError("DOCKER_API_VERSION '\(text)' is not an Engine API version such as 1.41", exitCode: ExitStatus.usage)
        }
        return version
    }
}

/// Process-wide seams for tests.
public enum DockerEnvironment {
    /// When set, commands use this transport instead of libcurl (tests set a fake).
    @TaskLocal public static var transport: (any DockerTransport)?
    /// When set, commands read secrets (`TENANT_CASSANDRA_*`, `TENANT_SMTP_PASSWORD`) from
    /// these variables instead of the process environment (tests set them per task).
    @TaskLocal public static var variables: [String: String]?

    /// The variables commands read: ``variables`` or the process environment.
    public static var current: [String: String] { variables ?? ProcessInfo.processInfo.environment }
}
