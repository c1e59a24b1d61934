/// The Prometheus names both servers export, in one place: the servers register them,
/// `tenantctl status`/`top` read them, and docs/observability.md's dashboards and alert rules
/// depend on them. Prometheus conventions: a `tenant_` prefix, base units, `_total` for
/// counters, `_seconds` for durations and timestamps.
public enum MetricName {
    /// tenant-ingest.
    public enum Ingest {
        /// Counter: readings written (duplicates excluded).
        public static let readingsStored = "tenant_ingest_readings_stored_total"
        /// Counter: readings that were already stored (a gateway resending).
        public static let readingsDuplicate = "tenant_ingest_readings_duplicate_total"
        /// Counter by `result` (`ack`, `nack`, `error`): reports answered.
        public static let reports = "tenant_ingest_reports_total"
        /// Counter: reports refused with `nack code="rate-limited"` (a gateway over the provider's
        /// readings rate); they are also counted in ``reports`` as `result="nack"`.
        public static let reportsRateLimited = "tenant_ingest_reports_rate_limited_total"
        /// Counter: group commits.
        public static let commits = "tenant_ingest_commits_total"
        /// Gauge: gateway connections open now.
        public static let connections = "tenant_ingest_connections"
        /// Gauge: readings (plus one per report) waiting for group commit: how far storage is behind.
        public static let queuedReadings = "tenant_ingest_queued_readings"
        /// Histogram: how long one group commit took.
        public static let commitDuration = "tenant_ingest_commit_duration_seconds"
        /// Gauge: Unix time at which a new reading was last stored (0: none since start).
        public static let lastReadingTimestamp = "tenant_ingest_last_reading_timestamp_seconds"
        /// Gauge: readings stored in the 60 s before the scrape.
        public static let readingsStoredLastMinute = "tenant_ingest_readings_stored_last_minute"
    }

    /// tenant-admin.
    public enum Admin {
        /// Counter by `route` (the matched route pattern) and `status` (the HTTP code).
        public static let httpRequests = "tenant_admin_http_requests_total"
        /// Histogram: request durations.
        public static let httpRequestDuration = "tenant_admin_http_request_duration_seconds"
        /// Gauge: mails waiting in the outbox (refreshed in the background, not per scrape).
        public static let outboxPending = "tenant_admin_outbox_pending"
        /// Counter: delivery attempts that failed.
        public static let mailFailures = "tenant_admin_mail_failures_total"
        /// Counter: mails the SMTP server accepted.
        public static let mailsSent = "tenant_admin_mails_sent_total"
        /// Counter: refused sign-ins.
        public static let loginFailures = "tenant_admin_login_failures_total"
    }
}
