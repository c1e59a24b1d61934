import GatewayProtocol
import NIOCore

/// How an ``IngestServer`` listens, and the limits that keep it bounded.
public struct IngestConfiguration: Sendable {
    /// Address to bind; `0.0.0.0` for every interface.
    public var host: String
    /// TCP port; 0 picks a free one (tests).
    public var port: Int
    /// A connection that sends nothing for this long gets `<error code="timeout"/>`.
    public var idleTimeout: TimeAmount
    /// Element size, readings per report, nesting depth.
    public var limits: GatewayLimits
    /// Reports one connection may have waiting for their reply before the server stops
    /// reading from it (TCP backpressure to that gateway only).
    public var maxInFlightPerConnection: Int
    /// Readings one connection may have waiting for their replies before the server stops
    /// reading from it: keeps one gateway from filling the shared commit queue.
    public var maxInFlightReadingsPerConnection: Int
    /// Readings (plus one per report) waiting for the next commit across all connections;
    /// beyond this a connection gets `<error code="overloaded"/>` instead of a longer queue.
    public var maxQueuedReadings: Int
    /// Most readings one group commit takes from the queue.
    public var maxBatchReadings: Int
    /// How long the provider's policy (key requirement, limits, disabled gateways: the
    /// settings staff change in the panel) is cached; a change applies within this time.
    /// Refreshed only while reports arrive.
    public var keyPolicyTTL: Duration
    /// How long refusals are collected before they are written to the store in one go.
    public var refusalFlushDelay: Duration

    public init(
        host: String = "0.0.0.0", port: Int = 6000, idleTimeout: TimeAmount = .seconds(300), limits: GatewayLimits = .default,
        maxInFlightPerConnection: Int = 256, maxInFlightReadingsPerConnection: Int = 20_000, maxQueuedReadings: Int = 250_000, maxBatchReadings: Int = 50_000,
        keyPolicyTTL: Duration = .seconds(5), refusalFlushDelay: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.limits = limits
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.maxInFlightReadingsPerConnection = maxInFlightReadingsPerConnection
        self.maxQueuedReadings = maxQueuedReadings
        self.maxBatchReadings = maxBatchReadings
        self.keyPolicyTTL = keyPolicyTTL
        self.refusalFlushDelay = refusalFlushDelay
    }
}
