import FoundationEssentials
import TextFormat

/// What a simulation run does. Everything is bounded: it stops after `duration` or once
/// every gateway has sent `reportsPerGateway` reports and heard back, whichever is first.
public struct SimulatorConfiguration: Sendable {
    /// Server host (loopback or an address the user gave).
    public var host: String
    public var port: Int
    /// Number of gateways, one TCP connection each.
    public var gateways: Int
    /// Sensors (inverters) per gateway: readings per report.
    public var sensors: Int
    /// Gateway ids are `<prefix><index, 5 digits>`; distinct prefixes feed providers distinct gateways.
    public var gatewayPrefix: String
    /// Reports each gateway sends (nil: until `duration`).
    public var reportsPerGateway: Int?
    /// Wall-clock limit in seconds.
    public var duration: Double
    /// Reports per second per gateway; 0 sends as fast as the pipeline window allows.
    public var rate: Double
    /// Simulated seconds between two reports of a gateway (the time acceleration is
    /// `interval * rate`).
    public var interval: Int64
    /// Simulated time of the first report, UTC milliseconds.
    public var startTime: Int64
    /// Reports a gateway may have sent without a reply (pipelining).
    public var window: Int
    /// Gateway key sent as the `key` attribute.
    public var key: String?
    /// Percent of reports sent twice (they must come back as duplicates).
    public var duplicatePercent: Double
    /// Percent of reports sent with one invalid reading (must be nacked).
    public var invalidPercent: Double
    /// Percent of reports sent as broken XML (the server errors and closes; the gateway
    /// reconnects and resends what was not acknowledged).
    public var malformedPercent: Double
    /// Write each report in several small pieces, each flushed on its own.
    public var splitWrites: Bool
    /// Seed for clouds and faults, so runs are repeatable.
    public var seed: UInt64
    /// After `duration`, how long to wait for outstanding replies.
    public var drainTimeout: Double
    /// Speak TLS (protocol v1 unchanged inside); nil is plain TCP.
    public var tls: SimulatorTLS?

    public init(
        host: String = "127.0.0.1", port: Int = 6000, gateways: Int = 10, sensors: Int = 10, gatewayPrefix: String = "gw-",
        reportsPerGateway: Int? = nil, duration: Double = 10, rate: Double = 1, interval: Int64 = 60,
        startTime: Int64 = 1_781_827_200_000,  // 2026-06-19T00:00:00Z
        window: Int = 16, key: String? = nil, duplicatePercent: Double = 0, invalidPercent: Double = 0,
        malformedPercent: Double = 0, splitWrites: Bool = false, seed: UInt64 = 1, drainTimeout: Double = 5, tls: SimulatorTLS? = nil
    ) {
        self.tls = tls
        self.host = host
        self.port = port
        self.gateways = gateways
        self.sensors = sensors
        self.gatewayPrefix = gatewayPrefix
        self.reportsPerGateway = reportsPerGateway
        self.duration = duration
        self.rate = rate
        self.interval = interval
        self.startTime = startTime
        self.window = window
        self.key = key
        self.duplicatePercent = duplicatePercent
        self.invalidPercent = invalidPercent
        self.malformedPercent = malformedPercent
        self.splitWrites = splitWrites
        self.seed = seed
        self.drainTimeout = drainTimeout
    }
}

/// What a run did.
public struct SimulatorReport: Sendable, Codable, Equatable {
    public var gateways: Int
    public var sensors: Int
    public var elapsedSeconds: Double
    /// Reports written (resends included).
    public var reportsSent: Int
    public var resends: Int
    public var acks: Int
    public var nacks: Int
    /// `<error/>` replies received.
    public var errors: Int
    public var reconnects: Int
    /// Connection attempts that failed (server down or unreachable).
    public var connectFailures: Int
    /// Sum of `stored` over acks.
    public var readingsStored: Int
    /// Sum of `duplicates` over acks.
    public var readingsDuplicate: Int
    /// Reports sent that never got a reply.
    public var unacknowledged: Int
    /// Readings acknowledged per second of the run.
    public var readingsPerSecond: Double
    public var latencyP50Ms: Double
    public var latencyP90Ms: Double
    public var latencyP99Ms: Double
    public var latencyMaxMs: Double
    /// TLS handshakes completed, and their median and mean time from TCP connect start
    /// (0 without TLS): the per-connection cost of TLS.
    public var tlsHandshakes: Int = 0
    public var tlsHandshakeP50Ms: Double = 0
    public var tlsHandshakeMeanMs: Double = 0
    /// Per gateway id: the seqs acknowledged (for tests; omitted from JSON output when empty).
    public var ackedSeqs: [String: [UInt64]]

    /// Human-readable summary lines.
    public var summary: String {
        """
        gateways \(gateways) x sensors \(sensors), \(fixed(elapsedSeconds, 2)) s
        reports sent \(reportsSent) (resends \(resends)), acked \(acks), nacked \(nacks), errors \(errors), reconnects \(reconnects), failed connects \(connectFailures), unacknowledged \(unacknowledged)
        readings stored \(readingsStored), duplicates \(readingsDuplicate), \(fixed(readingsPerSecond, 0)) readings/s acknowledged
        ack latency ms: p50 \(fixed(latencyP50Ms, 2)) p90 \(fixed(latencyP90Ms, 2)) p99 \(fixed(latencyP99Ms, 2)) max \(fixed(latencyMaxMs, 2))
        """ + (tlsHandshakes == 0 ? "" : "\nTLS handshakes \(tlsHandshakes): p50 \(fixed(tlsHandshakeP50Ms, 2)) ms, mean \(fixed(tlsHandshakeMeanMs, 2)) ms")
    }
}
