import TenantStorage

/// A well-formed, valid `<report>`.
public struct ReportRequest: Sendable, Hashable {
    /// Gateway id, `[A-Za-z0-9._:-]{1,64}`.
    public var gateway: String
    /// The gateway's sequence number, echoed in the reply.
    public var seq: UInt64
    /// The gateway's secret, when it sent one.
    public var key: String?
    /// The readings; empty for a heartbeat.
    public var readings: [Reading]

    public init(gateway: String, seq: UInt64, key: String? = nil, readings: [Reading]) {
        self.gateway = gateway
        self.seq = seq
        self.key = key
        self.readings = readings
    }
}

/// A well-formed `<report>` that is invalid: answered with `nack code="invalid"`.
public struct InvalidReport: Sendable, Hashable {
    /// The `gateway` attribute as sent (truncated), for the echo; empty if absent.
    public var gateway: String
    /// The `seq` attribute as sent (truncated), for the echo; empty if absent.
    public var seq: String
    /// Why it is invalid.
    public var reason: String

    public init(gateway: String, seq: String, reason: String) {
        self.gateway = gateway
        self.seq = seq
        self.reason = reason
    }
}

/// One decoded top-level request.
public enum GatewayRequest: Sendable, Hashable {
    case report(ReportRequest)
    case invalid(InvalidReport)
}
