import CoreMetrics
import FoundationEssentials
import Logging
import ServiceLifecycle
import TenantModel
import TenantStorage

/// Sends the outbox: every due mail is delivered, then marked sent; a failure is retried
/// with exponential backoff. Because a mail is marked sent only after the SMTP server
/// accepted it, and enqueueing is keyed, a restart or an SMTP outage neither loses nor
/// repeats a mail (short of a crash between the server's "250" and the mark).
public struct OutboxProcessor: Service {
    /// Mails that failed this many times are shown on the dashboard.
    public static let failingAfterAttempts = 3

    /// Where mail goes: a transport and the sender address.
    public typealias Delivery = (transport: any MailTransport, from: String)

    let store: any OutboxStore
    /// Asked before every pass, so a mail server changed in the provider's settings applies
    /// without a restart; nil keeps mails queued.
    let delivery: @Sendable () async throws -> Delivery?
    let pollInterval: Duration
    /// Rung when a mail is queued or the mail server changes; between passes with nothing
    /// to send the processor sleeps on it instead of polling.
    let doorbell: Doorbell
    let logger: Logger
    /// Delivery attempts that failed, and mails delivered (`tenant_admin_mail_*_total`).
    let failures: Counter
    let sent: Counter
    /// Mails queued and not yet delivered (`tenant_admin_outbox_pending`), after every pass.
    let pending: Gauge

    /// A pass with nothing left to send sleeps until the doorbell rings, but never longer
    /// than this: mails queued by another writer of the store (an operator, another panel on
    /// a shared keyspace) cannot ring this process's bell, and go out within a minute.
    public static let idleRecheck: Duration = .seconds(60)

    /// Delivers through `transport` from `from`.
    public init(
        store: any OutboxStore, transport: any MailTransport, from: String, pollInterval: Duration = .seconds(10), doorbell: Doorbell = Doorbell(),
        logger: Logger
    ) {
        self.init(store: store, pollInterval: pollInterval, doorbell: doorbell, logger: logger) { (transport, from) }
    }

    /// Delivers wherever `delivery` says at the start of each pass.
    public init(
        store: any OutboxStore, pollInterval: Duration = .seconds(10), doorbell: Doorbell = Doorbell(), logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory, delivery: @escaping @Sendable () async throws -> Delivery?
    ) {
        self.failures = Counter(label: MetricName.Admin.mailFailures, factory: metricsFactory)
        self.sent = Counter(label: MetricName.Admin.mailsSent, factory: metricsFactory)
        self.pending = Gauge(label: MetricName.Admin.outboxPending, factory: metricsFactory)
        self.store = store
        self.delivery = delivery
        self.pollInterval = pollInterval
        self.doorbell = doorbell
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
            var retryLater = true
            do {
                retryLater = try await pass()
            } catch {
                logger.info("outbox pass failed", metadata: ["error": "\(error)"])
            }
            // Mails waiting for a retry are looked at every poll interval; an empty outbox,
            // or one without a mail server to send to, waits for the doorbell.
            await doorbell.wait(timeout: retryLater ? pollInterval : Self.idleRecheck)
        }
    }

    /// Sends what is due and records how many mails wait; returns whether some wait for
    /// a retry (and so for time to pass, not for the doorbell).
    func pass() async throws -> Bool {
        let target = try await delivery()
        if let target { _ = try await send(now: Date(), via: target) }
        let waiting = try await store.outboxCounts().pending
        pending.record(waiting)
        return target != nil && waiting > 0
    }

    /// Sends every mail due now; returns how many were delivered.
    public func processDue(now: Date = Date()) async throws -> Int {
        guard let target = try await delivery() else { return 0 }
        return try await send(now: now, via: target)
    }

    private func send(now: Date, via target: Delivery) async throws -> Int {
        let (transport, from) = target
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
                sent.increment()
                logger.info("mail sent", metadata: ["mail.id": "\(mail.id)", "mail.kind": "\(mail.dedupeKey.prefix { $0 != ":" })"])
            } catch {
                failures.increment()
                let next = nowMillis + Self.backoff(afterAttempts: mail.attempts + 1)
                try await store.markFailed(id: mail.id, error: "\(error)", nextAttemptAt: next)
                logger.info("mail not sent, will retry", metadata: ["mail.id": "\(mail.id)", "attempts": "\(mail.attempts + 1)", "error": "\(error)"])
            }
        }
        return delivered
    }
}
