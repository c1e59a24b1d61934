import Logging
import ServiceLifecycle
import TenantStorage

/// Refreshes the gauges that need the store (mails pending) every `interval`, so that a
/// scrape of `/metrics` costs no store work however often Prometheus asks.
struct MetricsRefresher: Service {
    let store: any OutboxStore
    let metrics: AdminMetrics
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                await refresh()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func refresh() async {
        do {
            metrics.outboxPending.record(try await store.outboxCounts().pending)
        } catch {
            logger.debug("metrics refresh failed", metadata: ["error": "\(error)"])
        }
    }
}
