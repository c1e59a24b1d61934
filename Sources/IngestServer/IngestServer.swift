import GatewayProtocol
import CoreMetrics
import EventLoopExecution
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import TenantStorage

/// The gateway ingest server: a ``Service`` that listens for gateways, stores their
/// reports with group commit and acknowledges them once durable.
///
/// Channel handlers rather than `NIOAsyncChannel`: replies come from the group-commit
/// loop for many connections at once, and a handler lets that loop hand each connection
/// its replies with one hop and one flush, without a task per connection.
///
/// On graceful shutdown it stops accepting, stops reading, commits and acknowledges what
/// it accepted, closes every connection and returns.
public final class IngestServer: Service, Sendable {
    private let configuration: IngestConfiguration
    private let committer: GroupCommitter
    private let authenticator: GatewayAuthenticator
    private let limiter = RateLimiter()
    private let recorder: RefusalRecorder
    private let metrics: IngestMetrics
    private let logger: Logger
    private let group: any EventLoopGroup
    private let connections = NIOLockedValueBox<[ObjectIdentifier: (any Channel, IngestConnectionHandler.Sink)]>([:])
    private let bound = NIOLockedValueBox<(address: SocketAddress?, waiters: [CheckedContinuation<SocketAddress?, Never>], done: Bool)>((nil, [], false))

    /// A server for `store`, not yet listening; ``run()`` starts it. Metrics go to
    /// `metricsFactory` (the bootstrapped `MetricsSystem` by default).
    public init(
        configuration: IngestConfiguration, store: any ReadingStore, gatewayAuth: any GatewayAuthStore, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        let metrics = IngestMetrics(factory: metricsFactory)
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        self.group = group
        self.committer = GroupCommitter(
            store: store, maxQueued: configuration.maxQueuedReadings, maxBatch: configuration.maxBatchReadings, logger: logger,
            metrics: metrics)
        self.authenticator = GatewayAuthenticator(store: gatewayAuth, ttl: configuration.keyPolicyTTL, logger: logger)
        self.recorder = RefusalRecorder(store: gatewayAuth, flushDelay: configuration.refusalFlushDelay, logger: logger)
    }

    /// Brings the gauges that depend on the time of asking (readings in the last minute) up
    /// to date; call it right before exporting the metrics.
    public func refreshMetrics() {
        metrics.refreshWindowedGauges(nowSeconds: nowMillis() / 1000)
    }

    /// The address the server listens on once bound (nil if binding failed or it stopped).
    public func listeningAddress() async -> SocketAddress? {
        await withCheckedContinuation { continuation in
            let ready: SocketAddress?? = bound.withLockedValue { state in
                if state.address != nil || state.done { return .some(state.address) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func setBound(_ address: SocketAddress?) {
        let waiters = bound.withLockedValue { state in
            state.address = address
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: address) }
    }

    public func run() async throws {
        // Warm the policy cache so the first reports need not wait for it.
        _ = try? await authenticator.refreshPolicy()
        let serverChannel: any Channel
        do {
            serverChannel = try await makeBootstrap().bind(host: configuration.host, port: configuration.port).get()
        } catch {
            setBound(nil)
            logger.error("cannot listen", metadata: ["listen": "\(configuration.host):\(configuration.port)", "error": "\(error)"])
            throw error
        }
        setBound(serverChannel.localAddress)
        logger.info("listening", metadata: ["listen": "\(serverChannel.localAddress.map { "\($0)" } ?? "?")"])
        let committer = self.committer
        let commitLoop = Task { await committer.run() }

        do {
            try await gracefulShutdown()
            logger.info("graceful shutdown: finishing accepted reports")
        } catch {
            logger.info("cancelled: closing")
        }
        try? await serverChannel.close()
        await drainConnections()
        committer.finish()
        await commitLoop.value
        await recorder.flush()
        logger.info("stopped")
    }

    /// Tells every connection to stop reading and to close after its last reply, then
    /// waits for them to close (forcing them after 10 s).
    private func drainConnections() async {
        let open = connections.withLockedValue { Array($0.values) }
        for (_, sink) in open {
            sink.eventLoop.execute { sink.handler.value.shutdown() }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        for (channel, _) in open {
            while channel.isActive && ContinuousClock.now < deadline {
                try? await EventLoopClock().sleep(for: .milliseconds(20))
            }
            if channel.isActive { try? await channel.close() }
        }
    }

    private func makeBootstrap() -> ServerBootstrap {
        let configuration = self.configuration
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = IngestConnectionHandler(
                        committer: committer, authenticator: authenticator, limiter: limiter, recorder: recorder,
                        maxInFlight: configuration.maxInFlightPerConnection,
                        maxInFlightReadings: configuration.maxInFlightReadingsPerConnection, metrics: metrics, logger: logger,
                        verifiesClients: configuration.tls?.verifiesClients ?? false)
                    let sync = channel.pipeline.syncOperations
                    try configuration.tls?.configure(sync)
                    try sync.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                    try sync.addHandler(ByteToMessageHandler(GatewayFrameDecoder(limits: configuration.limits)))
                    try sync.addHandler(handler)
                    let sink = IngestConnectionHandler.Sink(handler: handler, eventLoop: channel.eventLoop)
                    let id = ObjectIdentifier(channel)
                    connections.withLockedValue { $0[id] = (channel, sink) }
                    channel.closeFuture.whenComplete { [connections] _ in
                        connections.withLockedValue { _ = $0.removeValue(forKey: id) }
                    }
                }
            }
    }
}

/// Runs a store's background upkeep until shutdown.
public struct StoreMaintenance: Service {
    let body: @Sendable () async -> Void

    public init(body: @escaping @Sendable () async -> Void) {
        self.body = body
    }

    public func run() async throws {
        // Stop on graceful shutdown as well as on cancellation.
        await cancelWhenGracefulShutdown { await body() }
    }
}
