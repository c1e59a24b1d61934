/// The limits the decoder enforces. Defaults are the documented protocol limits.
public struct GatewayLimits: Sendable, Hashable {
    /// Largest top-level element (or comment/PI between elements), in bytes. Default 1 MiB.
    public var maxElementBytes: Int
    /// Most readings one report may carry; more is a `nack code="invalid"`. Default 10,000.
    public var maxReadingsPerReport: Int
    /// Deepest element nesting accepted before the report is refused as malformed. Default 32.
    public var maxDepth: Int

    public init(maxElementBytes: Int = 1 << 20, maxReadingsPerReport: Int = 10_000, maxDepth: Int = 32) {
        self.maxElementBytes = maxElementBytes
        self.maxReadingsPerReport = maxReadingsPerReport
        self.maxDepth = maxDepth
    }

    /// The protocol defaults: 1 MiB elements, 10,000 readings per report.
    public static let `default` = GatewayLimits()
}
