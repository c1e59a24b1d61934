import CoreMetrics
import Prometheus

/// The process's one Prometheus registry, installed as swift-metrics' backend so that the
/// libraries' counters (which only know swift-metrics) are exported. Bootstrapped once, by
/// the executable.
public struct PrometheusExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Histogram buckets for durations of a few milliseconds (commits, page requests), from
    /// 0.5 ms to 10 s; Prometheus' defaults start at 5 ms and would put most commits in one bucket.
    public static let fineDurationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(10),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.fineDurationBuckets
        self.factory = factory
    }

    /// Makes this registry the process's swift-metrics backend (once per process).
    public func bootstrap() {
        MetricsSystem.bootstrap(factory)
    }

    /// Every metric in the Prometheus text format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
