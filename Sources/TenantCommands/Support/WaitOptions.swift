import ArgumentParser

/// `--no-wait` and `--wait-timeout`: whether a command that starts providers returns once
/// they serve, and for how long it waits.
public struct WaitOptions: ParsableArguments, Sendable {
    @Flag(help: "Return once the containers are started, without waiting for the servers to answer.")
    public var noWait = false

    @Option(help: ArgumentHelp("Seconds to wait for the servers to answer before exiting 75.", valueName: "SECONDS"))
    public var waitTimeout: Int = 60

    public init() {}

    public func validate() throws {
        guard (1...3600).contains(waitTimeout) else { throw ValidationError("--wait-timeout must be 1 to 3600 seconds, got \(waitTimeout)") }
    }

    /// How long to wait, or nil for `--no-wait`.
    public var timeout: Duration? { noWait ? nil : .seconds(waitTimeout) }
}
