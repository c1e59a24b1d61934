#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials
import TextFormat

/// SMTP through libcurl in a short-lived child process, one per mail.
///
/// libcurl brings OpenSSL, GnuTLS, Kerberos and LDAP along; loaded once, they stay resident
/// for the life of the process (about 9 MB, a third of an idle admin app). A child process
/// gives all of it back after each delivery, and a TLS library that hangs or crashes takes
/// down one delivery, not the web app. The child is the same binary run with
/// ``deliveryFlag``; it reads one ``DeliveryRequest`` (credentials included) as JSON on
/// stdin, so no secret appears in its arguments or environment.
public struct DeliveryProcessTransport: MailTransport {
    /// The flag that makes the executable act as ``DeliveryProcessTransport/runChild()``.
    public static let deliveryFlag = "--deliver-mail"

    public let configuration: SMTPConfiguration
    /// The binary to run, by default this process's own.
    public let executable: String
    /// Killed after this long; curl's own timeouts (10 s connect, 60 s total) come first.
    public let timeout: Duration
    private let queue = DispatchQueue(label: "tenant-mailer.delivery-process")

    public init(configuration: SMTPConfiguration, executable: String = "/proc/self/exe", timeout: Duration = .seconds(90)) {
        self.configuration = configuration
        self.executable = executable
        self.timeout = timeout
    }

    /// What the parent hands the child.
    public struct DeliveryRequest: Codable, Sendable {
        public var configuration: SMTPConfiguration
        public var from: String
        public var recipients: [String]
        public var message: String
    }

    public func send(_ message: String, from: String, to recipients: [String]) async throws {
        guard !recipients.isEmpty else { throw MailError("no recipients") }
        let input = try JSONEncoder().encode(DeliveryRequest(configuration: configuration, from: from, recipients: recipients, message: message))
        let executable = self.executable, timeout = self.timeout
        // Spawning and waiting block: a private queue, never an event loop or the cooperative pool.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                continuation.resume(with: Result { try Self.run(executable, input: [UInt8](input), timeout: timeout) })
            }
        }
    }

    private static func run(_ executable: String, input: [UInt8], timeout: Duration) throws {
        var stdinPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0 else { throw MailError("cannot start the delivery process: pipe failed") }
        guard pipe(&stderrPipe) == 0 else {
            close(stdinPipe[0]); close(stdinPipe[1])
            throw MailError("cannot start the delivery process: pipe failed")
        }
        // Only the dup2'ed copies (0 and 2) may survive into the child.
        for fd in stdinPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let arguments = [executable, deliveryFlag]
        // The app's own settings (the SMTP password among them) stay out of the child's environment.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TENANT_") }.map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        close(stdinPipe[0])
        close(stderrPipe[1])
        guard spawned == 0 else {
            close(stdinPipe[1]); close(stderrPipe[0])
            throw MailError("cannot start the delivery process \(executable): \(String(cString: strerror(spawned)))")
        }
        // The child reads all of stdin before it writes anything, so this cannot deadlock.
        var written = 0
        while written < input.count {
            let n = input.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            written += n
        }
        close(stdinPipe[1])
        let status = wait(for: pid, timeout: timeout)
        let errorText = String(decoding: readAll(stderrPipe[0], limit: 16 * 1024), as: UTF8.self)
        close(stderrPipe[0])
        switch status {
        case .exited(0): return
        case .exited(let code):
            let reason = errorText.trimmed
            throw MailError(reason.isEmpty ? "the delivery process exited with status \(code)" : reason)
        case .signalled(let signal): throw MailError("the delivery process was killed by signal \(signal)")
        case .timedOut: throw MailError("the delivery process did not finish within \(timeout); killed")
        }
    }

    private enum ExitStatus { case exited(Int32), signalled(Int32), timedOut }

    private static func wait(for pid: pid_t, timeout: Duration) -> ExitStatus {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return .exited(-1) }
            if clock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return .timedOut
            }
            usleep(5_000)
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signalled(status & 0x7f)
    }

    /// Up to `limit` bytes from `fd`, until end of file.
    private static func readAll(_ fd: Int32, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return Array(bytes.prefix(limit))
    }

    /// The child's side: read one request from stdin, deliver it, exit 0, or print the
    /// reason on stderr and exit 1.
    public static func runChild() -> Int32 {
        do {
            let request = try JSONDecoder().decode(DeliveryRequest.self, from: Data(readAll(0, limit: 64 << 20)))
            try CurlSMTPTransport.perform(request.configuration, message: request.message, from: request.from, to: request.recipients)
            return 0
        } catch let error as MailError {
            fail(error.description)
        } catch {
            fail("unreadable delivery request: \(error)")
        }
        return 1
    }

    private static func fail(_ message: String) {
        var standardError = StandardError()
        print(message, to: &standardError)
    }
}
