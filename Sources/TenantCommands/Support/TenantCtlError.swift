import ArgumentParser
import DockerClient

/// tenantctl's exit codes (documented in docs/command-reference.md and the README).
public enum ExitStatus {
    /// Success, including "already in that state".
    public static let ok: Int32 = 0
    /// A runtime failure: an engine error, a failed step, a failed doctor check.
    public static let failure: Int32 = 1
    /// The provider (or an object or image the command needs) does not exist.
    public static let notFound: Int32 = 3
    /// A name is in use by something tenantctl did not create, or an object is busy.
    public static let conflict: Int32 = 4
    /// Bad usage: unknown flag, invalid provider id, missing confirmation (EX_USAGE).
    public static let usage: Int32 = 64
    /// The Docker engine cannot be reached (EX_UNAVAILABLE).
    public static let engineUnreachable: Int32 = 69
    /// The engine did not answer in time (EX_TEMPFAIL).
    public static let timeout: Int32 = 75
    /// The engine's API is older than tenantctl supports (EX_PROTOCOL).
    public static let versionUnsupported: Int32 = 76

    /// The exit code for `error`.
    public static func code(for error: DockerError) -> Int32 {
        switch error {
        case .notFound: return notFound
        case .conflict: return conflict
        case .unreachable: return engineUnreachable
        case .timedOut: return timeout
        case .versionUnsupported: return versionUnsupported
        case .invalidAddress, .pinnedVersionUnsupported: return usage
        case .notModified, .engine, .invalidResponse: return failure
        }
    }
}

/// A runtime failure with its one-line message and exit code.
public struct TenantCtlError: Error, Sendable, CustomStringConvertible {
    /// The line printed after `tenantctl: error: `.
    public let description: String
    /// The process exit code.
    public let exitCode: Int32

    /// Creates an error.
    public init(_ description: String, exitCode: Int32 = ExitStatus.failure) {
        self.description = description
        self.exitCode = exitCode
    }

    /// Wraps an engine error, prefixing what tenantctl was doing.
    public init(_ context: String, _ error: any Error) {
        switch error {
        case let error as DockerError: self.init("\(context): \(error)", exitCode: ExitStatus.code(for: error))
        case let error as TenantCtlError: self = error
        default: self.init("\(context): \(error)")
        }
    }

    static func unknownProvider(_ id: some CustomStringConvertible) -> TenantCtlError {
        TenantCtlError("unknown provider '\(id)': no Docker object carries its label", exitCode: ExitStatus.notFound)
    }
}
