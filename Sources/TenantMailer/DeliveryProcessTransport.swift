#if canImport(Glibc)
import EventLoopExecution
import Glibc
#endif
import FoundationEssentials
import Subprocess
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

    /// How much of the child's stderr becomes the error message (the rest is read and dropped).
    static let errorTextLimit = 16 * 1024

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
        switch try await Self.run(executable, input: [UInt8](input), timeout: timeout) {
        case .exited(0, _): return
        case .exited(let code, let errorText):
            let reason = errorText.trimmed
            throw MailError(reason.isEmpty ? "the delivery process exited with status \(code)" : reason)
        case .signalled(let signal): throw MailError("the delivery process was killed by signal \(signal)")
        case .timedOut: throw MailError("the delivery process did not finish within \(timeout); killed")
        }
    }

    private enum Outcome: Sendable {
        case exited(Int32, errorText: String), signalled(Int32), timedOut
    }

    /// Runs the child with swift-subprocess: stdin is written and stderr read while it runs
    /// (a child that writes more than a pipe holds never stalls), its exit is awaited without
    /// polling, and at `timeout` the run is cancelled, which kills it.
    private static func run(_ executable: String, input: [UInt8], timeout: Duration) async throws -> Outcome {
        // The app's own settings (the SMTP password among them) stay out of the child's environment.
        // Raw entries end in NUL: Subprocess 1.0.2 hands them to strdup as they are.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TENANT_") }.map { Array("\($0.key)=\($0.value)".utf8) + [0] }
        do {
            return try await withThrowingTaskGroup(of: Outcome.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(
                        .path(.init(executable)), arguments: [deliveryFlag], environment: .custom(environment),
                        input: .array(input), output: .discarded, error: .sequence
                    ) { execution in
                        var kept: [UInt8] = []
                        for try await chunk in execution.standardError where kept.count < errorTextLimit {
                            chunk.withUnsafeBytes { kept += $0.prefix(errorTextLimit - kept.count) }
                        }
                        return String(decoding: kept, as: UTF8.self)
                    }
                    switch result.terminationStatus {
                    case .exited(let code): return .exited(code, errorText: result.closureResult)
                    case .signaled(let signal): return .signalled(signal)
                    }
                }
                group.addTask {
                    try await EventLoopClock().sleep(for: timeout)
                    return .timedOut
                }
                // The first to finish decides; cancelling the other kills a child still running.
                let first = try await group.next() ?? .timedOut
                group.cancelAll()
                return first
            }
        } catch let error as MailError {
            throw error
        } catch {
            throw MailError("cannot start the delivery process \(executable): \(error)")
        }
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
