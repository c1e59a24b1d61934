import CoreMetrics
import Logging
@testable import ServerSupport
import ServiceLifecycle
import TenantModel
import Testing

@Suite struct MetricsListenerTests {
    @Test func servesTheRegistryOnMetricsAndNothingElse() async throws {
        let exporter = PrometheusExporter()
        let counter = Counter(label: "tenant_test_events_total", dimensions: [("kind", "a")], factory: exporter.factory)
        counter.increment(by: 3)
        let listener = MetricsListener(host: "127.0.0.1", port: 0, logger: Logger(label: "test"), render: exporter.render)
        let group = ServiceGroup(configuration: .init(services: [listener], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let port = try #require(await listener.listeningAddress()?.port)
        let address = HostPort(host: "127.0.0.1", port: port)

        let metrics = try #require(LocalProbe.get(address, path: "/metrics"))
        #expect(metrics.status == 200)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("# TYPE tenant_test_events_total counter\n"))
        #expect(text.contains(#"tenant_test_events_total{kind="a"} 3"# + "\n"))
        #expect(LocalProbe.get(address, path: "/health")?.status == 200)
        #expect(LocalProbe.get(address, path: "/api/v1/customers")?.status == 404)
        #expect(LocalProbe.accepts(address))
        // A wildcard listen address is probed on loopback.
        #expect(LocalProbe.get(HostPort(host: "0.0.0.0", port: port), path: "/metrics")?.status == 200)

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(LocalProbe.get(address, path: "/metrics") == nil)
        #expect(!LocalProbe.accepts(address))
    }

    @Test func chunkedBodiesAreDecoded() {
        let raw = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8)
        #expect(LocalProbe.parse(raw) == LocalProbe.Response(status: 200, body: Array("hello world".utf8)))
        let plain = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno".utf8)
        #expect(LocalProbe.parse(plain) == LocalProbe.Response(status: 404, body: Array("no".utf8)))
        #expect(LocalProbe.parse(Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
    }
}
