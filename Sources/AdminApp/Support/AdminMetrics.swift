import CoreMetrics
import NIOConcurrencyHelpers
import TenantModel

/// The app's metrics through swift-metrics (tenant-admin bootstraps the Prometheus backend).
/// Counters are kept as things happen (the outbox's own after every outbox pass), so a
/// scrape reads no store.
final class AdminMetrics: Sendable {
    typealias Name = MetricName.Admin

    private let factory: any MetricsFactory
    private let requestDuration: CoreMetrics.Timer
    let loginFailures: Counter
    /// One counter per (route, status) seen, so a request does not look it up in the registry.
    private let requestCounters = NIOLockedValueBox<[RouteStatus: Counter]>([:])

    struct RouteStatus: Hashable {
        var route: String
        var status: Int
    }

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        requestDuration = CoreMetrics.Timer(label: Name.httpRequestDuration, factory: factory)
        loginFailures = Counter(label: Name.loginFailures, factory: factory)
    }

    /// Counts one answered request. `route` is the matched route pattern (bounded: one per
    /// route), never the raw path.
    func request(route: String, status: Int, nanoseconds: Int64) {
        let key = RouteStatus(route: route, status: status)
        let counter = requestCounters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: Name.httpRequests, dimensions: [("route", route), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
        requestDuration.recordNanoseconds(nanoseconds)
    }
}
