import Foundation
import Logging
import Synchronization
import Testing
import TenantMailer
import TenantStorage
import TenantSQLite
import AdminTestSupport

@Suite struct MailTests {
    static let logger: Logger = {
        var logger = Logger(label: "mail-test")
        logger.logLevel = .warning
        return logger
    }()

    @Test func mimeMessageHasBothParts() throws {
        let message = MailMessage(from: "panel@example.com", to: ["a@example.com"], subject: "Bericht für März", text: "Plain ü", html: "<p>HTML ü</p>",
                                  messageID: "m1@tenantctl", date: Date(timeIntervalSince1970: 0)).rendered(boundary: "BOUNDARY")
        #expect(message.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\"\r\n"))
        #expect(message.contains("Subject: =?utf-8?B?"))
        #expect(message.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"))
        #expect(SMTPSink.part("text/plain", of: message) == "Plain ü")
        #expect(SMTPSink.part("text/html", of: message) == "<p>HTML ü</p>")
        // No header injection through a subject.
        let injected = MailMessage(from: "p@example.com", to: ["a@example.com"], subject: "hi\r\nBcc: evil@example.com", text: "", html: "", messageID: "x", date: Date()).rendered()
        #expect(!injected.contains("\r\nBcc:"))
    }

    @Test func deliversThroughARealSMTPServer() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let transport = CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "panel@example.com"))
        let message = MailMessage(from: "panel@example.com", to: ["ops@example.com", "boss@example.com"], subject: "Test delivery", text: "hello text", html: "<b>hello html</b>", messageID: "t1@tenantctl", date: Date())
        try await transport.send(message.rendered(), from: "panel@example.com", to: message.to)
        let received = try await sink.waitForMessages(1)
        #expect(received.count == 1)
        let mail = try #require(received.first)
        #expect(mail.hasPrefix("X-Envelope-To: ops@example.com,boss@example.com"))
        #expect(mail.contains("Subject: Test delivery"))
        #expect(SMTPSink.part("text/plain", of: mail) == "hello text")
        #expect(SMTPSink.part("text/html", of: mail) == "<b>hello html</b>")
    }

    /// More than a pipe holds (64 KiB) on stderr: read while the child runs, so it exits and
    /// its first 16 KiB are the error, not a stalled child killed at the timeout.
    @Test(.timeLimit(.minutes(1))) func aChildWritingMuchToStderrIsNotATimeout() async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("chatty-\(UUID().uuidString).sh").path
        try "#!/bin/sh\ncat >/dev/null\nhead -c 200000 /dev/zero | tr '\\0' x >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        #expect(chmod(script, 0o755) == 0)
        let transport = DeliveryProcessTransport(
            configuration: SMTPConfiguration(url: "smtp://127.0.0.1:1", from: "p@example.com"), executable: script, timeout: .seconds(20))
        let error = await #expect(throws: MailError.self) { try await transport.send("x", from: "p@example.com", to: ["a@example.com"]) }
        #expect(error?.description == String(repeating: "x", count: 16 * 1024))
    }

    @Test func unreachableServerIsAClearError() async throws {
        // A port nobody listens on (the sink, stopped).
        let sink = try await SMTPSink.start()
        let port = sink.port
        sink.stop()
        let transport = CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", password: "s3cret-pw", from: "p@example.com"))
        await #expect(throws: MailError.self) { try await transport.send("x", from: "p@example.com", to: ["a@example.com"]) }
        do { try await transport.send("x", from: "p@example.com", to: ["a@example.com"]) } catch { #expect(!"\(error)".contains("s3cret-pw")) }
    }

    /// A transport that fails after `limit` deliveries, like an SMTP outage or a crash mid-outbox.
    final class FlakyTransport: MailTransport {
        let inner: any MailTransport
        let limit: Int
        let count = Mutex(0)
        init(_ inner: any MailTransport, limit: Int) { self.inner = inner; self.limit = limit }
        func send(_ message: String, from: String, to recipients: [String]) async throws {
            let n = count.withLock { value in value += 1; return value }
            if n > limit { throw MailError("smtp delivery failed: simulated outage") }
            try await inner.send(message, from: from, to: recipients)
        }
    }

    @Test func restartMidOutboxSendsNoDuplicate() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).db").path
        let real = CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "panel@example.com"))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let startMillis = Int64(start.timeIntervalSince1970 * 1000)

        do {
            let store = SQLiteAdminStore(database: try SQLiteDatabase(path: path))
            for n in 1...3 {
                #expect(try await store.enqueue(OutboxMail(dedupeKey: "report:\(n)", recipients: ["c\(n)@example.com"], subject: "Mail \(n)", textBody: "t\(n)", htmlBody: "h\(n)", createdAt: startMillis)))
            }
            // The first process delivers one mail, then the server goes away.
            let first = OutboxProcessor(store: store, transport: FlakyTransport(real, limit: 1), from: "panel@example.com", logger: Self.logger)
            #expect(try await first.processDue(now: start) == 1)
            #expect(try await store.outboxCounts().pending == 2)
            // Nothing is due again until the backoff has passed.
            #expect(try await first.processDue(now: start.addingTimeInterval(5)) == 0)
        }
        // "Restart": a new database handle and processor over the same file; the scheduler
        // enqueues the same logical mails again, which the keys absorb.
        let store = SQLiteAdminStore(database: try SQLiteDatabase(path: path))
        for n in 1...3 {
            #expect(try await store.enqueue(OutboxMail(dedupeKey: "report:\(n)", recipients: ["c\(n)@example.com"], subject: "Mail \(n)", textBody: "t\(n)", htmlBody: "h\(n)", createdAt: startMillis)) == false)
        }
        let second = OutboxProcessor(store: store, transport: real, from: "panel@example.com", logger: Self.logger)
        #expect(try await second.processDue(now: start.addingTimeInterval(60)) == 2)
        #expect(try await second.processDue(now: start.addingTimeInterval(7200)) == 0)

        // The sink stores a message before it answers 250, so every delivery that returned is
        // on disk now: exactly three, none twice.
        let received = sink.messages()
        let subjects = received.compactMap { $0.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } }.map(String.init).sorted()
        #expect(received.count == 3)
        #expect(subjects == ["Subject: Mail 1", "Subject: Mail 2", "Subject: Mail 3"])
    }

    /// With nothing to send the outbox sleeps on its doorbell, not on a poll: a mail queued
    /// and rung is delivered at once though the poll interval is an hour.
    @Test func aQueuedMailRingsTheSleepingOutbox() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).db").path
        let store = SQLiteAdminStore(database: try SQLiteDatabase(path: path))
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let bell = Doorbell()
        let processor = OutboxProcessor(
            store: store, transport: CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", from: "p@example.com")),
            from: "p@example.com", pollInterval: .seconds(3600), doorbell: bell, logger: Self.logger)
        #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:first", recipients: ["a@example.com"], subject: "First", textBody: "", htmlBody: "", createdAt: 0)))
        let running = Task { try await processor.run() }
        defer { running.cancel() }
        // The first pass sends what was queued before the start; then the outbox is empty.
        // (Generous deadlines: with the whole suite running in parallel the pool is busy.)
        #expect(try await sink.waitForMessages(1, timeout: 60).count == 1)
        #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:rung", recipients: ["a@example.com"], subject: "Rung", textBody: "", htmlBody: "", createdAt: 0)))
        bell.ring()
        let received = try await sink.waitForMessages(2, timeout: 60)
        #expect(received.count == 2)
        #expect(received.last?.contains("Subject: Rung") == true)
    }

    @Test func failingMailIsRetriedWithBackoffAndReported() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).db").path
        let store = SQLiteAdminStore(database: try SQLiteDatabase(path: path))
        let sink = try await SMTPSink.start()
        let port = sink.port
        sink.stop()
        let processor = OutboxProcessor(store: store, transport: CurlSMTPTransport(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", from: "p@example.com")), from: "p@example.com", logger: Self.logger)
        var now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.enqueue(OutboxMail(dedupeKey: "alert:1", recipients: ["a@example.com"], subject: "A", textBody: "", htmlBody: "", createdAt: Int64(now.timeIntervalSince1970 * 1000))))
        for attempt in 1...OutboxProcessor.failingAfterAttempts {
            #expect(try await processor.processDue(now: now) == 0)
            let mail = try #require(try await store.failingMails(minAttempts: attempt).first)
            #expect(mail.lastError?.contains("smtp delivery failed") == true)
            now = now.addingTimeInterval(Double(OutboxProcessor.backoff(afterAttempts: attempt)) / 1000 + 1)
        }
        #expect(try await store.failingMails(minAttempts: OutboxProcessor.failingAfterAttempts).count == 1)
        #expect(OutboxProcessor.backoff(afterAttempts: 1) == 30_000)
        #expect(OutboxProcessor.backoff(afterAttempts: 20) == 3_600_000)
    }
}
