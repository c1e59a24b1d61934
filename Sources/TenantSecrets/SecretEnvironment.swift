#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The secrets the servers take, by environment name. Each is read from the file that
/// `NAME_FILE` names (the convention of the postgres and mariadb images); `NAME` itself still
/// works for running a server by hand, with a warning, since the environment shows in
/// `docker inspect` and `/proc/PID/environ`.
public enum SecretName {
    /// Cassandra login (both servers).
    public static let cassandraUsername = "TENANT_CASSANDRA_USERNAME"
    /// Cassandra password (both servers).
    public static let cassandraPassword = "TENANT_CASSANDRA_PASSWORD"
    /// The platform SMTP relay's password (tenant-admin).
    public static let smtpPassword = "TENANT_SMTP_PASSWORD"
    /// The key that seals secrets in the provider's store (tenant-admin).
    public static let settingsKey = "TENANT_SETTINGS_KEY"

    /// Every secret a server may read.
    public static let all = [cassandraUsername, cassandraPassword, smtpPassword, settingsKey]

    /// The variable naming the file of `name`.
    public static func fileVariable(_ name: String) -> String { name + "_FILE" }
}

/// A secret file that cannot be used. The description names the file and the variable,
/// never the content.
public struct SecretFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The variable naming the file (`TENANT_SMTP_PASSWORD_FILE`).
    public var variable: String
    /// The file's path.
    public var path: String
    /// Why: the system's error text, or `is empty`.
    public var reason: String

    /// Creates an error.
    public init(variable: String, path: String, reason: String) {
        self.variable = variable
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot read secret file \(path) (\(variable)): \(reason)" }
}

/// The environment with secrets read from their files.
public struct ResolvedSecrets: Sendable, Hashable {
    /// The input environment, with `NAME=<file content>` for every `NAME_FILE` and without the
    /// `NAME_FILE` variables.
    public var environment: [String: String]
    /// Secrets given directly in the environment (warn: they show in `docker inspect`).
    public var givenDirectly: [String]
    /// Secrets read from files.
    public var readFromFiles: [String]
}

/// Reads `NAME_FILE` secrets.
public enum SecretEnvironment {
    /// The largest secret file read: secrets are short, and a wrong path to a big file must not
    /// fill memory.
    public static let maximumBytes = 64 * 1024

    /// Replaces each `NAME_FILE` of `names` in `environment` by `NAME` with the file's content
    /// (one trailing newline removed, as `echo secret > file` writes it). Throws for a missing,
    /// unreadable, empty or oversized file, and when both `NAME` and `NAME_FILE` are set.
    public static func resolve(
        _ names: [String] = SecretName.all, in environment: [String: String],
        read: (String) throws(SecretFileError) -> String = { path throws(SecretFileError) in try readFile(path) }
    ) throws(SecretFileError) -> ResolvedSecrets {
        var result = ResolvedSecrets(environment: environment, givenDirectly: [], readFromFiles: [])
        for name in names {
            let variable = SecretName.fileVariable(name)
            guard let path = environment[variable], !path.isEmpty else {
                if let value = environment[name], !value.isEmpty { result.givenDirectly.append(name) }
                continue
            }
            if let value = environment[name], !value.isEmpty {
                throw SecretFileError(variable: variable, path: path, reason: "\(name) is set too; set only one of them")
            }
            result.environment[name] = try secret(fromFile: path, variable: variable, read: read)
            result.environment[variable] = nil
            result.readFromFiles.append(name)
        }
        return result
    }

    /// The secret in the file at `path`: its text without one trailing newline. Throws for a
    /// missing, unreadable, empty or oversized file, naming `variable` (the variable or option
    /// that named the file) and the path, never the content.
    public static func secret(
        fromFile path: String, variable: String,
        read: (String) throws(SecretFileError) -> String = { path throws(SecretFileError) in try readFile(path) }
    ) throws(SecretFileError) -> String {
        var content: String
        do { content = try read(path) } catch {
            throw SecretFileError(variable: variable, path: path, reason: error.reason)
        }
        if content.hasSuffix("\n") { content.removeLast() }  // also removes a whole "\r\n" (one Character)
        guard !content.isEmpty else { throw SecretFileError(variable: variable, path: path, reason: "is empty") }
        return content
    }

    /// The whole file at `path` as UTF-8 text (the variable is filled in by ``secret(fromFile:variable:read:)``).
    public static func readFile(_ path: String) throws(SecretFileError) -> String {
        func failure(_ reason: String) -> SecretFileError { SecretFileError(variable: "", path: path, reason: reason) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= maximumBytes else { throw failure("is larger than \(maximumBytes / 1024) KiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw failure("is not UTF-8 text") }
        return text
    }
}
