import TenantStorage

/// Builds a ``GatewayRequest`` from the events of one top-level element.
/// Validation problems are collected (first one wins) and become a nack; XML faults throw.
struct ReportBuilder: XMLElementHandler {
    let maxReadings: Int
    var gatewayRaw: [UInt8] = []
    var seqRaw: [UInt8] = []
    var gateway: String?
    var seq: UInt64?
    var key: String?
    var readings: [Reading] = []
    var problem: String?

    init(maxReadings: Int) {
        self.maxReadings = maxReadings
    }

    mutating func startElement(name: UnsafeRawBufferPointer, attributes: XMLAttributes, depth: Int) throws(GatewayStreamError) {
        switch depth {
        case 0:
            guard XMLParser.equal(name, "report") else {
                throw GatewayStreamError(.malformed, "unknown top-level element <\(String(decoding: name.prefix(64), as: UTF8.self))>")
            }
            report(attributes)
        case 1:
            guard problem == nil else { return }
            guard XMLParser.equal(name, "reading") else {
                return fail("unknown element <\(String(decoding: name.prefix(64), as: UTF8.self))> in report")
            }
            guard readings.count < maxReadings else { return fail("too many readings (limit \(maxReadings))") }
            reading(attributes)
        default:
            guard problem == nil else { return }
            fail("unknown element <\(String(decoding: name.prefix(64), as: UTF8.self))> in reading")
        }
    }

    mutating func endElement(depth: Int) {}

    private mutating func fail(_ reason: String) {
        if problem == nil { problem = reason }
    }

    private mutating func report(_ attributes: XMLAttributes) {
        for index in 0..<attributes.count {
            let name = attributes.name(at: index)
            if XMLParser.equal(name, "gateway") {
                gatewayRaw = attributes.decodedValue(at: index)
                gatewayRaw.withUnsafeBytes { bytes in
                    if GatewayValues.isValidID(bytes) { gateway = String(decoding: bytes, as: UTF8.self) }
                }
            } else if XMLParser.equal(name, "seq") {
                seqRaw = attributes.decodedValue(at: index)
                seq = seqRaw.withUnsafeBytes { GatewayValues.parseUInt64($0) }
            } else if XMLParser.equal(name, "key") {
                key = attributes.string(at: index)
            }
        }
        if gateway == nil { fail(gatewayRaw.isEmpty ? "missing gateway" : "invalid gateway id: expected [A-Za-z0-9._:-]{1,64}") }
        if seq == nil { fail(seqRaw.isEmpty ? "missing seq" : "invalid seq: expected an unsigned 64-bit integer") }
        readings.reserveCapacity(16)
    }

    private mutating func reading(_ attributes: XMLAttributes) {
        var sensor: String?
        var at: Int64?
        var power: Double?
        var energy: Double?
        var voltage: Double?
        var current: Double?
        var temperature: Double?
        let number = readings.count + 1
        for index in 0..<attributes.count {
            let name = attributes.name(at: index)
            // Fields by their first byte, then an exact compare: cheap on the hot path.
            guard let first = name.first else { continue }
            let field: StaticString
            switch first {
            case UInt8(ascii: "s"): field = "sensor"
            case UInt8(ascii: "a"): field = "at"
            case UInt8(ascii: "p"): field = "power"
            case UInt8(ascii: "e"): field = "energy"
            case UInt8(ascii: "v"): field = "voltage"
            case UInt8(ascii: "c"): field = "current"
            case UInt8(ascii: "t"): field = "temperature"
            default: continue  // unknown attribute: ignored
            }
            guard XMLParser.equal(name, field) else { continue }
            let ok: Bool = withValue(attributes, index) { value in
                switch first {
                case UInt8(ascii: "s"):
                    guard GatewayValues.isValidID(value) else { return false }
                    sensor = String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "a"):
                    at = GatewayValues.parseTimestamp(value)
                    return at != nil
                case UInt8(ascii: "p"):
                    power = GatewayValues.parseDecimal(value)
                    return power != nil
                case UInt8(ascii: "e"):
                    energy = GatewayValues.parseDecimal(value)
                    return energy.map { $0 >= 0 } ?? false
                case UInt8(ascii: "v"):
                    voltage = GatewayValues.parseDecimal(value)
                    return voltage != nil
                case UInt8(ascii: "c"):
                    current = GatewayValues.parseDecimal(value)
                    return current != nil
                default:
                    temperature = GatewayValues.parseDecimal(value)
                    return temperature != nil
                }
                return true
            }
            if !ok {
                let what = first == UInt8(ascii: "s") ? "invalid sensor id" : first == UInt8(ascii: "a")
                    ? "invalid timestamp (RFC 3339 with Z or offset)" : first == UInt8(ascii: "e")
                    ? "invalid energy (finite decimal >= 0)" : "invalid \(field) (finite decimal)"
                return fail("reading \(number): \(what)")
            }
        }
        guard let sensor else { return fail("reading \(number): missing sensor") }
        guard let at else { return fail("reading \(number): missing at") }
        guard let power else { return fail("reading \(number): missing power") }
        readings.append(
            Reading(
                sensor: sensor, at: at, power: power, energy: energy, voltage: voltage, current: current,
                temperature: temperature))
    }

    private func withValue<R>(_ attributes: XMLAttributes, _ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if attributes.needsDecoding(at: index) {
            return attributes.decodedValue(at: index).withUnsafeBytes(body)
        }
        return body(attributes.rawValue(at: index))
    }

    /// The request, once the element has been parsed without an XML fault.
    func request() -> GatewayRequest {
        if let problem {
            return .invalid(
                InvalidReport(
                    gateway: String(decoding: gatewayRaw.prefix(64), as: UTF8.self),
                    seq: String(decoding: seqRaw.prefix(24), as: UTF8.self), reason: problem))
        }
        return .report(ReportRequest(gateway: gateway!, seq: seq!, key: key, readings: readings))
    }
}
