import TextFormat

/// The exit statuses of `tenant-ingest` and `tenant-admin`, the same in both so that scripts,
/// restart policies and `docker inspect` read them alike (numbers from sysexits.h).
public enum ServerExitCode: Int32, Sendable, CaseIterable {
    /// Stopped on SIGTERM/SIGINT after finishing its work, or a one-shot mode succeeded.
    case success = 0
    /// `--health-check`: the server did not answer as a healthy one does.
    case unhealthy = 1
    /// A flag or environment value that cannot be used, or a store of another provider (EX_USAGE).
    case usage = 64
    /// The store could not be opened or reached (EX_UNAVAILABLE): worth retrying later.
    case storeUnavailable = 69
    /// The server could not listen on its address (EX_OSERR).
    case cannotListen = 71
}

/// Why a server cannot start: one line for stderr and the exit status that goes with it.
public struct ServerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ServerExitCode
    public let description: String

    public init(_ code: ServerExitCode, _ description: String) {
        self.code = code
        self.description = description
    }

    /// A bad setting (exit 64).
    public static func usage(_ description: String) -> ServerFailure { ServerFailure(.usage, description) }
    /// An unreachable or unopenable store (exit 69).
    public static func storeUnavailable(_ description: String) -> ServerFailure { ServerFailure(.storeUnavailable, description) }
    /// An address that cannot be bound (exit 71).
    public static func cannotListen(_ description: String) -> ServerFailure { ServerFailure(.cannotListen, description) }
}

extension ServerFailure {
    /// Writes `PROGRAM: error: DESCRIPTION` as one line on stderr; returns the exit status.
    public func report(program: String) -> Int32 {
        var standardError = StandardError()
        print("\(program): error: \(description.split(whereSeparator: \.isNewline).joined(separator: " "))", to: &standardError)
        return code.rawValue
    }
}
