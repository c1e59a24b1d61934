/// A stream-level fault: the server answers `<error code="..." reason="..."/>` and closes the
/// connection. Thrown by ``GatewayFrameDecoder`` and by the strict ``XMLParser``.
public struct GatewayStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `code` attribute of the `<error/>` reply.
    public enum Code: String, Sendable, CaseIterable {
        /// Not well-formed XML, or an unknown top-level element.
        case malformed
        /// One top-level element over the size limit.
        case tooLarge = "too-large"
        /// A DOCTYPE, DTD or entity declaration (never expanded or fetched).
        case forbidden
        /// Idle past the limit.
        case timeout
        /// The server is shedding load.
        case overloaded
    }

    /// What kind of fault.
    public var code: Code
    /// A short human-readable explanation, sent as the `reason` attribute.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}

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
