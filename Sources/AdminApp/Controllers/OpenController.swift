import FoundationEssentials
import Hummingbird
import ServerSupport
import TenantMailer

/// Routes without sign-in: health, the stylesheet; and metrics, which take an API token.
struct OpenController {
    let services: AdminServices

    func register(on router: some RouterMethods<AdminRequestContext>, tokenRequired: some RouterMethods<AdminRequestContext>) {
        tokenRequired.get("/metrics") { _, _ in metrics() }
        router.get("/health") { _, _ in try await health() }
        router.get("/static/admin.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
    }

    func health() async throws -> Response {
        do {
            try await services.readings.ping()
            _ = try await services.store.setting(AdminSettings.Key.timeZone)
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        } catch {
            services.logger.warning("health check: store not readable", metadata: ["error": "\(error)"])
            return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "store unavailable\n")))
        }
    }

    /// The process's Prometheus registry; only behind an API token on this port (the router
    /// puts it in the API group), without one on the separate metrics listener.
    func metrics() -> Response {
        guard let render = services.configuration.renderMetrics else {
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "no metrics in this process\n")))
        }
        return Response(
            status: .ok, headers: [.contentType: MetricsListener.contentType], body: .init(byteBuffer: ByteBuffer(bytes: render())))
    }
}
