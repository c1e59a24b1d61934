/// Milliseconds since the Unix epoch, UTC: how every time is stored.
public typealias EpochMillis = Int64

/// One sensor's measurement at one instant, as a gateway reported it.
/// Identified by (gateway, sensor, at): storing the same one twice is a duplicate.
public struct Reading: Sendable, Hashable, Codable {
    /// Inverter, string or meter id on the gateway.
    public var sensor: String
    /// When it was measured.
    public var at: EpochMillis
    /// Instantaneous AC power in W; negative is consumption.
    public var power: Double
    /// Cumulative energy counter in Wh.
    public var energy: Double?
    /// Volts.
    public var voltage: Double?
    /// Amperes.
    public var current: Double?
    /// Degrees Celsius.
    public var temperature: Double?

    public init(
        sensor: String, at: EpochMillis, power: Double, energy: Double? = nil,
        voltage: Double? = nil, current: Double? = nil, temperature: Double? = nil
    ) {
        self.sensor = sensor
        self.at = at
        self.power = power
        self.energy = energy
        self.voltage = voltage
        self.current = current
        self.temperature = temperature
    }
}

/// A validated report from one gateway: stored atomically, all readings or none.
/// An empty `readings` is a heartbeat that only updates the gateway's last-seen time.
public struct GatewayReport: Sendable, Hashable {
    public var gateway: String
    public var readings: [Reading]
    /// When the server received it; becomes the gateway's last-seen time.
    public var receivedAt: EpochMillis

    public init(gateway: String, readings: [Reading], receivedAt: EpochMillis) {
        self.gateway = gateway
        self.readings = readings
        self.receivedAt = receivedAt
    }
}

/// What storing one report did: `stored + duplicates == readings.count`.
public struct ReportOutcome: Sendable, Hashable {
    public var stored: Int
    public var duplicates: Int

    public init(stored: Int, duplicates: Int) {
        self.stored = stored
        self.duplicates = duplicates
    }
}
