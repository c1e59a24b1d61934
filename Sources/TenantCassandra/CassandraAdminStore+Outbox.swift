import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: OutboxStore {
    private struct MailRecord: Codable {
        var id: Int64, dedupeKey: String, recipients: [String], subject: String, textBody: String, htmlBody: String
        var createdAt: EpochMillis, attempts: Int, nextAttemptAt: EpochMillis, sentAt: EpochMillis?, lastError: String?

        init(_ m: OutboxMail) {
            (id, dedupeKey, recipients, subject, textBody, htmlBody) = (m.id, m.dedupeKey, m.recipients, m.subject, m.textBody, m.htmlBody)
            (createdAt, attempts, nextAttemptAt, sentAt, lastError) = (m.createdAt, m.attempts, m.nextAttemptAt, m.sentAt, m.lastError)
        }

        var mail: OutboxMail {
            OutboxMail(
                id: id, dedupeKey: dedupeKey, recipients: recipients, subject: subject, textBody: textBody, htmlBody: htmlBody,
                createdAt: createdAt, attempts: attempts, nextAttemptAt: nextAttemptAt, sentAt: sentAt, lastError: lastError)
        }
    }

    /// Sent mails are kept, as in SQLite, in one partition per 32 days, so no partition grows without bound.
    static func sentBucket(_ at: EpochMillis) -> String { numericKey(max(at, 0) / (32 * 86_400_000)) }

    private func pending() async throws -> [OutboxMail] {
        try await rows("outbox", "pending").compactMap { Self.decode(MailRecord.self, $0.value)?.mail }
    }

    public func enqueue(_ mail: OutboxMail) async throws -> Bool {
        try await wrap("outbox write") {
            guard try await value("outbox_dedupe", Self.single, mail.dedupeKey) == nil else { return false }
            var stored = mail
            stored.id = Self.newID()
            (stored.attempts, stored.sentAt, stored.lastError) = (0, nil, nil)
            let insert = try await insertStatement()
            // Logged: the mail and its dedupe row are written together or not at all.
            try await client.batch(.logged, [
                (insert, [.text("outbox_dedupe"), .text(Self.single), .text(mail.dedupeKey), .text(String(stored.id))]),
                (insert, [.text("outbox"), .text("pending"), .text(Self.numericKey(stored.id)), .text(try Self.encode(MailRecord(stored)))]),
            ], consistency: consistency)
            return true
        }
    }

    public func dueMails(now: EpochMillis, limit: Int) async throws -> [OutboxMail] {
        try await wrap("outbox read") {
            Array(try await pending().filter { $0.nextAttemptAt <= now }.sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
                .prefix(max(limit, 0)))
        }
    }

    public func markSent(id: Int64, at: EpochMillis) async throws {
        try await wrap("outbox write") {
            guard var mail = try await value("outbox", "pending", Self.numericKey(id)).flatMap({ Self.decode(MailRecord.self, $0) })?.mail
            else { return }
            mail.sentAt = at
            mail.attempts += 1
            mail.lastError = nil
            let bucket = Self.sentBucket(at)
            let insert = try await insertStatement()
            try await client.batch(.logged, [
                (insert, [.text("outbox_buckets"), .text(Self.single), .text(bucket), .text("")]),
                (insert, [.text("outbox"), .text("sent:\(bucket)"), .text(Self.numericKey(id)), .text(try Self.encode(MailRecord(mail)))]),
                (try await deleteStatement(), [.text("outbox"), .text("pending"), .text(Self.numericKey(id))]),
            ], consistency: consistency)
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: EpochMillis) async throws {
        try await wrap("outbox write") {
            guard var mail = try await value("outbox", "pending", Self.numericKey(id)).flatMap({ Self.decode(MailRecord.self, $0) })?.mail
            else { return }
            mail.attempts += 1
            mail.lastError = error
            mail.nextAttemptAt = nextAttemptAt
            try await put("outbox", "pending", Self.numericKey(id), try Self.encode(MailRecord(mail)))
        }
    }

    public func failingMails(minAttempts: Int) async throws -> [OutboxMail] {
        try await wrap("outbox read") { try await pending().filter { $0.attempts >= minAttempts }.sorted { $0.id < $1.id } }
    }

    public func outboxCounts() async throws -> (pending: Int, sent: Int) {
        try await wrap("outbox read") {
            // Keys only: the sent count reads one key per sent mail (no COUNT across partitions).
            let pendingCount = try await keys("outbox", "pending").count
            var sent = 0
            for bucket in try await keys("outbox_buckets", Self.single) { sent += try await keys("outbox", "sent:\(bucket)").count }
            return (pendingCount, sent)
        }
    }
}
