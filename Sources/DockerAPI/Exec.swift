// Docker Engine API wire models for running a command in a container (`docker exec`).

/// Body of `POST /containers/{id}/exec`.
public struct ExecCreateRequest: Codable, Sendable, Hashable {
    /// The command and its arguments (no shell).
    public var Cmd: [String]
    public var AttachStdout: Bool
    public var AttachStderr: Bool
    /// Whether to allocate a TTY (without one, output comes multiplexed as logs do).
    public var Tty: Bool

    /// Runs `command` with stdout and stderr attached and no TTY.
    public init(Cmd: [String], AttachStdout: Bool = true, AttachStderr: Bool = true, Tty: Bool = false) {
        self.Cmd = Cmd
        self.AttachStdout = AttachStdout
        self.AttachStderr = AttachStderr
        self.Tty = Tty
    }
}

/// Answer of `POST /containers/{id}/exec`.
public struct ExecCreateResponse: Codable, Sendable, Hashable {
    /// The exec instance's id.
    public var Id: String
}

/// Body of `POST /exec/{id}/start`.
public struct ExecStartRequest: Codable, Sendable, Hashable {
    /// False: the answer streams the command's output until it exits.
    public var Detach: Bool
    public var Tty: Bool

    /// Attached, without a TTY.
    public init(Detach: Bool = false, Tty: Bool = false) {
        self.Detach = Detach
        self.Tty = Tty
    }
}

/// Answer of `GET /exec/{id}/json` (the fields tenantctl reads).
public struct ExecInspect: Codable, Sendable, Hashable {
    public var Running: Bool
    /// The command's exit code once it stopped.
    public var ExitCode: Int?
}
