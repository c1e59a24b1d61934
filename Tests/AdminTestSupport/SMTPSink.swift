import Foundation
import TenantTestSupport

/// A real SMTP server on loopback for tests: Debian's aiosmtpd run by /usr/bin/python3
/// (not the pyenv python first on PATH), writing each received message to a folder.
public final class SMTPSink: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let process: Process
    private let input: Pipe

    static let script = #"""
        import json, os, socket, sys
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
        outdir, host = sys.argv[1], sys.argv[2]
        # Logins come from a file, never argv (tests scan /proc/*/cmdline for secrets).
        logins = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else []
        def authenticator(server, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword):
                for index, (user, password) in enumerate(logins):
                    if auth_data.login == user.encode() and auth_data.password == password.encode():
                        return AuthResult(success=True, auth_data=index)
            return AuthResult(success=False, handled=False)
        class Handler:
            def __init__(self): self.count = 0
            async def handle_DATA(self, server, session, envelope):
                self.count += 1
                path = os.path.join(outdir, "%04d.eml" % self.count)
                with open(path + ".tmp", "wb") as f:
                    f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
                    if logins:
                        f.write(b"X-Auth-Login: %d\r\n" % session.auth_data)
                    f.write(envelope.original_content or envelope.content)
                os.rename(path + ".tmp", path)
                return "250 OK"
        s = socket.socket(); s.bind((host, 0)); port = s.getsockname()[1]; s.close()
        auth = dict(authenticator=authenticator, auth_require_tls=False, auth_required=True) if logins else {}
        c = Controller(Handler(), hostname=host, port=port, **auth)
        c.start()
        print(port, flush=True)
        try:
            sys.stdin.read()
        finally:
            c.stop()
        """#

    /// Starts the server on `host` (loopback by default; 0.0.0.0 to be reachable from
    /// containers) and waits until it listens. With `logins`, it demands SMTP AUTH with one of
    /// them and marks each message `X-Auth-Login: <index of the login used>`. Python takes
    /// seconds to start on a loaded machine: the wait is on a thread of its own, not one of the
    /// test run's few (``blocking(_:)``).
    public static func start(host: String = "127.0.0.1", logins: [(user: String, password: String)] = []) async throws -> SMTPSink {
        let logins = logins.map { Login(user: $0.user, password: $0.password) }
        return try await blocking { try SMTPSink(host: host, logins: logins) }
    }

    struct Login: Sendable {
        var user: String
        var password: String
    }

    private init(host: String, logins: [Login]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, directory.path, host]
        if !logins.isEmpty {
            let file = directory.appendingPathComponent("logins.json")
            try JSONSerialization.data(withJSONObject: logins.map { [$0.user, $0.password] }).write(to: file)
            process.arguments! += [file.path]
        }
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw SinkError("aiosmtpd did not start (is python3-aiosmtpd installed?)") }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SinkError("aiosmtpd printed no port")
        }
        self.port = port
    }

    /// Stops the server (messages already received stay on disk).
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The received messages, oldest first, as raw text.
    public func messages() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
    }

    /// Waits up to `timeout` seconds for at least `count` messages.
    public func waitForMessages(_ count: Int, timeout: Double = 10) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let received = messages()
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
        return messages()
    }

    /// The decoded text of the MIME part with `contentType` in a received message.
    public static func part(_ contentType: String, of message: String) -> String? {
        let sections = message.components(separatedBy: "Content-Type: \(contentType)")
        guard sections.count > 1 else { return nil }
        let afterHeaders = sections[1].components(separatedBy: "\r\n\r\n").dropFirst().first ?? ""
        let base64 = afterHeaders.components(separatedBy: "--").first ?? ""
        let joined = base64.split(whereSeparator: \.isNewline).joined()
        return Data(base64Encoded: joined).map { String(decoding: $0, as: UTF8.self) }
    }

    public struct SinkError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
