import TenantStorage

extension SQLiteAdminStore: OutboxStore {
    private static let outboxColumns =
        "id, dedupe_key, recipients, subject, text_body, html_body, created_at, attempts, next_attempt_at, sent_at, last_error"

    private static func mail(_ row: SQLiteRow) -> OutboxMail {
        OutboxMail(
            id: row.int64(0) ?? 0, dedupeKey: row.string(1) ?? "",
            recipients: (row.string(2) ?? "").split(separator: ",").map(String.init), subject: row.string(3) ?? "",
            textBody: row.string(4) ?? "", htmlBody: row.string(5) ?? "", createdAt: row.int64(6) ?? 0,
            attempts: row.int(7) ?? 0, nextAttemptAt: row.int64(8), sentAt: row.int64(9), lastError: row.string(10))
    }

    public func enqueue(_ mail: OutboxMail) async throws -> Bool {
        try await database.write { db in
            try db.run(
                """
                INSERT OR IGNORE INTO outbox (dedupe_key, recipients, subject, text_body, html_body, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(mail.dedupeKey), .text(mail.recipients.joined(separator: ",")), .text(mail.subject), .text(mail.textBody),
                 .text(mail.htmlBody), .integer(mail.createdAt), .integer(mail.nextAttemptAt)]) > 0
        }
    }

    public func dueMails(now: EpochMillis, limit: Int) async throws -> [OutboxMail] {
        try await database.read { db in
            try db.query(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                [.integer(now), .integer(Int64(limit))]
            ).map(Self.mail)
        }
    }

    public func markSent(id: Int64, at: EpochMillis) async throws {
        _ = try await database.write { db in
            try db.run("UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?", [.integer(at), .integer(id)])
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: EpochMillis) async throws {
        _ = try await database.write { db in
            try db.run(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [.text(error), .integer(nextAttemptAt), .integer(id)])
        }
    }

    public func failingMails(minAttempts: Int) async throws -> [OutboxMail] {
        try await database.read { db in
            try db.query(
                "SELECT \(Self.outboxColumns) FROM outbox WHERE sent_at IS NULL AND attempts >= ? ORDER BY id",
                [.integer(Int64(minAttempts))]
            ).map(Self.mail)
        }
    }

    public func outboxCounts() async throws -> (pending: Int, sent: Int) {
        try await database.read { db in
            let row = try db.query("SELECT COUNT(*) - COUNT(sent_at), COUNT(sent_at) FROM outbox").first
            return (row?.int(0) ?? 0, row?.int(1) ?? 0)
        }
    }
}
