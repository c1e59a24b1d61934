#if os(Linux)
import CMalloc
import EventLoopExecution
#endif
import Logging
import ServiceLifecycle
import TenantStorage

/// Keeps the hourly rollup current in the background, so that charts and reports read
/// aggregates instead of raw readings. Ingest never writes rollups: its path stays fast.
struct RollupService: Service {
    let store: any AdminStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // Sleeping between passes must not hold up shutdown: SIGTERM cancels the wait.
        try await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                var hours = 0
                for gateway in try await store.gateways() {
                    if Task.isShuttingDownGracefully { break }
                    hours += try await store.refreshRollup(gateway: gateway.id)
                }
                if hours > 0 { logger.info("rolled up closed hours", metadata: ["hours": "\(hours)"]) }
                // A rollup (the first one reads a year of readings) and the page views since
                // the last pass fill SQLite's page caches and leave freed heap behind; give
                // both back every pass (every few minutes), so an idle panel stays small.
                // Pages come back from the OS page cache on demand.
                if let releasing = store as? any MemoryReleasing { await releasing.releaseMemory() }
                #if os(Linux)
                malloc_trim(0)
                #endif
            } catch {
                logger.warning("rollup pass failed", metadata: ["error": "\(error)"])
            }
            try? await EventLoopClock().sleep(for: interval)
        }
    }
}
