import Foundation
import Testing
import AdminTestSupport
import TenantMailer
import TenantTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The `tenant-admin` binary itself: settings errors, --migrate-only, --health-check, SIGTERM.
@Suite struct ExecutableTests {
    /// The binary built next to this test bundle (same build directory, any --build-path).
    static var binary: String { builtProduct("tenant-admin") }

    struct Run { var status: Int32; var stderr: String }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let result = try await runProgram(binary, arguments, environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, timeout: .seconds(60))
        return Run(status: result.code, stderr: result.err)
    }

    static func temporaryStore() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("exe-\(UUID().uuidString).db").path
    }

    @Test func badSettingsExitWithOneLine() async throws {
        // Exit statuses as in tenant-ingest: 64 for a bad setting, 69 for a store that cannot be opened.
        let cases: [([String], [String: String], String, Int32)] = [
            (["--provider", "Bad-ID", "--store", "sqlite:/tmp/x.db"], [:], "invalid provider id", 64),
            // Nothing listens on port 1: the store cannot be opened, said in one line.
            (["--provider", "acme", "--store", "cassandra://127.0.0.1:1/acme", "--migrate-only"], [:], "cannot open cassandra://127.0.0.1:1/acme", 69),
            (["--provider", "acme", "--store", "cassandra://db1/other"], [:], "serves only its own keyspace", 64),
            (["--provider", "acme", "--store", "mysql://x"], [:], "unsupported store URL", 64),
            (["--store", "sqlite:/tmp/x.db"], [:], "no provider", 64),
            (["--provider", "acme", "--store", "sqlite:\(Self.temporaryStore())", "--listen", "127.0.0.1:99999"], [:], "invalid --listen", 64),
            (["--provider", "acme", "--store", "sqlite:\(Self.temporaryStore())"], ["TENANT_ADMIN_BOOTSTRAP_HASH": "plaintext"], "not a crypt hash", 64),
            (["--provider", "acme", "--store", "sqlite:\(Self.temporaryStore())", "--smtp-url", "http://x"], [:], "bad SMTP URL", 64),
            (["--provider", "acme", "--store", "sqlite:\(Self.temporaryStore())", "--log-format", "xml"], [:], "invalid log format", 64),
        ]
        for (arguments, environment, message, status) in cases {
            let result = try await Self.run(arguments, environment: environment)
            #expect(result.status == status, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
    }

    @Test func migrateOnlyCreatesTheSchema() async throws {
        let path = Self.temporaryStore()
        let first = try await Self.run(["--migrate-only"], environment: ["TENANT_PROVIDER": "acme", "TENANT_STORE": "sqlite:\(path)"])
        #expect(first.status == 0)
        #expect(try await Self.run(["--migrate-only", "--provider", "acme", "--store", "sqlite:\(path)"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: path))
        // The store is now acme's: another provider's app refuses it.
        let other = try await Self.run(["--migrate-only", "--provider", "other", "--store", "sqlite:\(path)"])
        #expect(other.status == 64)
        #expect(other.stderr.contains("store belongs to provider 'acme'"))
    }

    @Test func healthCheckAndSIGTERM() async throws {
        let port = freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--provider", "acme", "--store", "sqlite:\(Self.temporaryStore())", "--listen", "127.0.0.1:\(port)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        var healthy = false
        for _ in 0..<100 where !healthy {
            try await Task.sleep(for: .milliseconds(100))
            healthy = try await Self.run(["--health-check", "--listen", "127.0.0.1:\(port)"]).status == 0
        }
        #expect(healthy)
        // What keeps an idle panel under 30 MB: neither Foundation with ICU nor libcurl (and its
        // TLS stack) is loaded into the server; mail goes through a child process.
        let maps = try String(contentsOfFile: "/proc/\(process.processIdentifier)/maps", encoding: .utf8)
        for library in ["libFoundation.so", "lib_FoundationICU.so", "libFoundationInternationalization.so", "libcurl", "libssl", "libgnutls"] {
            #expect(!maps.contains(library), "\(library) is mapped into tenant-admin")
        }
        // The map read is the server's own, with the Foundation it does use: the checks above
        // looked at a real process, not at an empty or foreign file.
        #expect(maps.contains(URL(fileURLWithPath: Self.binary).resolvingSymlinksInPath().path))
        #expect(maps.contains("libFoundationEssentials.so"))
        kill(process.processIdentifier, SIGTERM)
        let status = await exitStatus(of: process, within: .seconds(30))
        #expect(status == 0, "tenant-admin did not exit 0 within 30 s of SIGTERM")
        if status == nil { process.terminate() } else {
            #expect(process.terminationReason == .exit)
        }
        #expect(try await Self.run(["--health-check"], environment: ["TENANT_LISTEN": "127.0.0.1:\(port)"]).status == 1)
    }

    /// The production mail path: each mail handed to a `tenant-admin --deliver-mail` child,
    /// which loads libcurl, delivers and exits.
    @Test func mailIsDeliveredByAChildProcess() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let transport = DeliveryProcessTransport(
            configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "panel@example.com"), executable: Self.binary)
        let message = MailMessage(from: "panel@example.com", to: ["ops@example.com"], subject: "Child delivery", text: "text part", html: "<i>html part</i>", messageID: "c1@tenantctl", date: Date())
        try await transport.send(message.rendered(), from: "panel@example.com", to: message.to)
        let received = try await sink.waitForMessages(1)
        #expect(received.count == 1)
        #expect(received.first.map { SMTPSink.part("text/plain", of: $0) } == "text part")

        // A server that is gone: curl's reason comes back from the child as the error.
        sink.stop()
        let error = await #expect(throws: MailError.self) { try await transport.send(message.rendered(), from: "panel@example.com", to: message.to) }
        #expect(error?.description.contains("smtp delivery failed") == true, "\(String(describing: error))")
        // A child that cannot run is an error too, not a hang.
        let missing = DeliveryProcessTransport(configuration: transport.configuration, executable: "/nonexistent/tenant-admin")
        await #expect(throws: MailError.self) { try await missing.send("x", from: "panel@example.com", to: ["ops@example.com"]) }
        // A child that hangs is killed at the timeout.
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("hang-\(UUID().uuidString).sh").path
        try "#!/bin/sh\nexec sleep 30\n".write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        chmod(script, 0o755)
        let hanging = DeliveryProcessTransport(configuration: transport.configuration, executable: script, timeout: .milliseconds(300))
        let hung = await #expect(throws: MailError.self) { try await hanging.send("x", from: "panel@example.com", to: ["ops@example.com"]) }
        #expect(hung?.description.contains("killed") == true, "\(String(describing: hung))")
    }
}
