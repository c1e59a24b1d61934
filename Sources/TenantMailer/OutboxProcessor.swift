import FoundationEssentials
import Logging
import ServiceLifecycle
import TenantStorage

/// Sends the outbox: every due mail is delivered, then marked sent; a failure is retried
/// with exponential backoff. Because a mail is marked sent only after the SMTP server
/// accepted it, and enqueueing is keyed, a restart or an SMTP outage neither loses nor
/// repeats a mail (short of a crash between the server's "250" and the mark).
public struct OutboxProcessor: Service {
    /// Mails that failed this many times are shown on the dashboard.
    public static let failingAfterAttempts = 3

    let store: any OutboxStore
    let transport: any MailTransport
    let from: String
    let pollInterval: Duration
    let logger: Logger

    public init(store: any OutboxStore, transport: any MailTransport, from: String, pollInterval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.transport = transport
        self.from = from
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... capped at 1 h.
    public static func backoff(afterAttempts attempts: Int) -> Int64 {
        let seconds = 30 * (1 << min(max(attempts - 1, 0), 7))
        return Int64(min(seconds, 3600)) * 1000
    }

    public func run() async throws {
        // Sleeping between passes must not hold up shutdown: SIGTERM cancels the wait.
        try await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await processDue()
            } catch {
                logger.info("outbox pass failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Sends every mail due now; returns how many were delivered.
    public func processDue(now: Date = Date()) async throws -> Int {
        var delivered = 0
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        for mail in try await store.dueMails(now: nowMillis, limit: 50) {
            let message = MailMessage(
                from: from, to: mail.recipients, subject: mail.subject, text: mail.textBody, html: mail.htmlBody,
                messageID: "outbox-\(mail.id).\(mail.createdAt)@tenantctl", date: now)
            do {
                try await transport.send(message.rendered(), from: from, to: mail.recipients)
                try await store.markSent(id: mail.id, at: Int64(Date().timeIntervalSince1970 * 1000))
                delivered += 1
                logger.info("mail sent", metadata: ["mail.id": "\(mail.id)", "mail.kind": "\(mail.dedupeKey.prefix { $0 != ":" })"])
            } catch {
                let next = nowMillis + Self.backoff(afterAttempts: mail.attempts + 1)
                try await store.markFailed(id: mail.id, error: "\(error)", nextAttemptAt: next)
                logger.info("mail not sent, will retry", metadata: ["mail.id": "\(mail.id)", "attempts": "\(mail.attempts + 1)", "error": "\(error)"])
            }
        }
        return delivered
    }
}
