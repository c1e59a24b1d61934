import NIOCore
import NIOPosix
import NIOTLS

/// Plays N gateways with M sensors each against one ingest server. Each gateway is one
/// TCP connection that pipelines up to `window` reports, reconnects after any failure and
/// resends whatever was not acknowledged, exactly as real gateways do.
public struct GatewaySimulator: Sendable {
    public let configuration: SimulatorConfiguration
    /// Record every acknowledged seq per gateway in the report (tests).
    public var recordAcknowledgedSeqs = false

    public init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
    }

    /// Runs the simulation to its end (count or time) and summarises it.
    public func run(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SimulatorReport {
        let start = NIODeadline.now()
        let futures = (0..<configuration.gateways).map { index -> EventLoopFuture<GatewayStats> in
            let loop = group.next()
            return loop.flatSubmit {
                SimGateway(index: index, configuration: configuration, record: recordAcknowledgedSeqs, loop: loop, start: start).begin()
            }
        }
        var all: [GatewayStats] = []
        for future in futures { all.append(try await future.get()) }
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        var latencies: [UInt32] = []
        var handshakes: [UInt32] = []
        var report = SimulatorReport(
            gateways: configuration.gateways, sensors: configuration.sensors, elapsedSeconds: elapsed, reportsSent: 0, resends: 0,
            acks: 0, nacks: 0, errors: 0, reconnects: 0, connectFailures: 0, readingsStored: 0, readingsDuplicate: 0, unacknowledged: 0,
            readingsPerSecond: 0, latencyP50Ms: 0, latencyP90Ms: 0, latencyP99Ms: 0, latencyMaxMs: 0, ackedSeqs: [:])
        for stats in all {
            report.reportsSent += stats.sent
            report.resends += stats.resends
            report.acks += stats.acks
            report.nacks += stats.nacks
            report.errors += stats.errors
            report.reconnects += stats.reconnects
            report.connectFailures += stats.connectFailures
            report.readingsStored += stats.stored
            report.readingsDuplicate += stats.duplicates
            report.unacknowledged += stats.unacknowledged
            latencies.append(contentsOf: stats.latencies)
            handshakes.append(contentsOf: stats.handshakeMicros)
            if recordAcknowledgedSeqs { report.ackedSeqs[stats.gateway] = stats.ackedSeqs }
        }
        let active = max(all.map(\.activeSeconds).max() ?? elapsed, 0.001)
        report.readingsPerSecond = Double(report.readingsStored + report.readingsDuplicate) / active
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
            return Double(latencies[max(0, index)]) / 1000
        }
        report.latencyP50Ms = percentile(0.50)
        report.latencyP90Ms = percentile(0.90)
        report.latencyP99Ms = percentile(0.99)
        report.latencyMaxMs = Double(latencies.last ?? 0) / 1000
        handshakes.sort()
        report.tlsHandshakes = handshakes.count
        if !handshakes.isEmpty {
            report.tlsHandshakeP50Ms = Double(handshakes[(handshakes.count - 1) / 2]) / 1000
            report.tlsHandshakeMeanMs = Double(handshakes.reduce(0) { $0 + Int($1) }) / Double(handshakes.count) / 1000
        }
        return report
    }
}

/// One gateway's counters.
struct GatewayStats: Sendable {
    var gateway = ""
    var sent = 0
    var resends = 0
    var acks = 0
    var nacks = 0
    var errors = 0
    var reconnects = 0
    var connectFailures = 0
    var stored = 0
    var duplicates = 0
    var unacknowledged = 0
    var activeSeconds = 0.0
    /// TLS handshake times, microseconds from connect start.
    var handshakeMicros: [UInt32] = []
    var latencies: [UInt32] = []
    var ackedSeqs: [UInt64] = []
}

/// One simulated gateway, confined to its event loop.
final class SimGateway: @unchecked Sendable {
    // Safety: every method runs on `loop`.
    enum Kind { case normal, duplicate, invalid, malformed }

    struct Pending {
        let seq: UInt64
        let bytes: ByteBuffer
        var sentAt: NIODeadline
        let kind: Kind
    }

    let id: String
    let configuration: SimulatorConfiguration
    let record: Bool
    let loop: any EventLoop
    let start: NIODeadline
    let deadline: NIODeadline
    let promise: EventLoopPromise<GatewayStats>
    var site: SolarSite
    var random: SimRandom
    var stats = GatewayStats()
    var channel: (any Channel)?
    var connecting = false
    var connectStartedAt = NIODeadline.now()
    var unacked: [Pending] = []
    var unackedHead = 0
    var nextSeq: UInt64 = 1
    var created = 0
    var credits = 0.0
    var finished = false
    var lastReplyAt: NIODeadline

    init(index: Int, configuration: SimulatorConfiguration, record: Bool, loop: any EventLoop, start: NIODeadline) {
        var digits = String(index)
        if digits.count < 5 { digits = String(repeating: "0", count: 5 - digits.count) + digits }
        self.id = configuration.gatewayPrefix + digits
        self.configuration = configuration
        self.record = record
        self.loop = loop
        self.start = start
        self.deadline = start + .nanoseconds(Int64(configuration.duration * 1e9))
        self.promise = loop.makePromise()
        self.site = SolarSite(sensors: configuration.sensors, seed: configuration.seed &+ UInt64(index) &* 7919)
        self.random = SimRandom(state: configuration.seed &* 31 &+ UInt64(index))
        self.lastReplyAt = start
        stats.gateway = id
    }

    func begin() -> EventLoopFuture<GatewayStats> {
        connect()
        if configuration.rate > 0 {
            let period = TimeAmount.nanoseconds(Int64(1e9 / configuration.rate))
            // Spread the gateways over one period so they do not all fire together.
            let offset = TimeAmount.nanoseconds(Int64(random.unit() * Double(period.nanoseconds)))
            loop.scheduleRepeatedTask(initialDelay: offset, delay: period) { [self] task in
                if finished { task.cancel(); return }
                credits = min(credits + 1, Double(configuration.window))
                pump()
            }
        }
        let hardStop = deadline + .nanoseconds(Int64(configuration.drainTimeout * 1e9))
        loop.scheduleTask(deadline: deadline) { [self] in checkDone() }
        loop.scheduleTask(deadline: hardStop) { [self] in finish() }
        return promise.futureResult
    }

    var pendingCount: Int { unacked.count - unackedHead }

    private var creationFinished: Bool {
        if let limit = configuration.reportsPerGateway, created >= limit { return true }
        return NIODeadline.now() >= deadline
    }

    func connect() {
        guard !finished, channel == nil, !connecting else { return }
        connecting = true
        connectStartedAt = .now()
        ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(3))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = configuration.tls {
                        try channel.pipeline.syncOperations.addHandler(tls.handler(host: configuration.host))
                    }
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(gateway: self))
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .whenComplete { [self] result in
                connecting = false
                switch result {
                case .success(let channel):
                    if finished {
                        channel.close(promise: nil)
                        return
                    }
                    self.channel = channel
                    resendUnacknowledged()
                    pump()
                case .failure:
                    stats.connectFailures += 1
                    loop.scheduleTask(in: .milliseconds(200)) { [self] in connect() }
                }
            }
    }

    private func resendUnacknowledged() {
        guard let channel, pendingCount > 0 else { return }
        // Broken reports are not resent: the server refused them already.
        unacked = unacked[unackedHead...].filter { $0.kind != .malformed }
        unackedHead = 0
        let now = NIODeadline.now()
        for index in unacked.indices {
            unacked[index].sentAt = now
            channel.write(unacked[index].bytes, promise: nil)
            stats.resends += 1
            stats.sent += 1
        }
        channel.flush()
    }

    func pump() {
        guard let channel, !finished else { return }
        var wrote = false
        while pendingCount < configuration.window, !creationFinished, configuration.rate == 0 || credits >= 1 {
            if configuration.rate > 0 { credits -= 1 }
            let kind: Kind
            let roll = random.unit() * 100
            if roll < configuration.malformedPercent { kind = .malformed }
            else if roll < configuration.malformedPercent + configuration.invalidPercent { kind = .invalid }
            else { kind = .normal }
            let bytes = makeReport(kind: kind, allocator: channel.allocator)
            send(bytes, seq: nextSeq - 1, kind: kind, on: channel)
            if kind == .normal, random.unit() * 100 < configuration.duplicatePercent {
                send(bytes, seq: nextSeq - 1, kind: .duplicate, on: channel)
            }
            wrote = true
        }
        if wrote { channel.flush() }
        checkDone()
    }

    private func send(_ bytes: ByteBuffer, seq: UInt64, kind: Kind, on channel: any Channel) {
        unacked.append(Pending(seq: seq, bytes: bytes, sentAt: .now(), kind: kind))
        stats.sent += 1
        if configuration.splitWrites {
            var rest = bytes
            while rest.readableBytes > 0 {
                let size = min(rest.readableBytes, 1 + Int(random.next() % 48))
                channel.writeAndFlush(rest.readSlice(length: size)!, promise: nil)
            }
        } else {
            channel.write(bytes, promise: nil)
        }
    }

    private func makeReport(kind: Kind, allocator: ByteBufferAllocator) -> ByteBuffer {
        let seq = nextSeq
        nextSeq += 1
        created += 1
        let at = configuration.startTime + Int64(seq - 1) * configuration.interval * 1000
        var b: [UInt8] = []
        b.reserveCapacity(96 + configuration.sensors * 170)
        ReportWriter.write("<report gateway=\"", to: &b)
        b.append(contentsOf: id.utf8)
        ReportWriter.write("\" seq=\"", to: &b)
        ReportWriter.writeInt(Int64(seq), to: &b)
        if let key = configuration.key {
            ReportWriter.write("\" key=\"", to: &b)
            b.append(contentsOf: key.utf8)
        }
        ReportWriter.write("\">", to: &b)
        if kind == .malformed {
            ReportWriter.write("<reading sensor=\"inv-1\" <broken></report>\n", to: &b)
            return allocator.buffer(bytes: b)
        }
        var timestamp: [UInt8] = []
        ReportWriter.writeTimestamp(at, to: &timestamp)
        // Work on local copies: no exclusivity checks on the class's storage per reading.
        var site = self.site
        var random = self.random
        site.step()
        let sun = SolarSite.sun(at)
        let hours = Double(configuration.interval) / 3600
        for sensor in 0..<configuration.sensors {
            let power = site.peaks[sensor] * sun * site.clouds
            site.energy[sensor] += power * hours
            let voltage = 228 + 6 * random.unit()
            ReportWriter.write("<reading sensor=\"inv-", to: &b)
            ReportWriter.writeInt(Int64(sensor + 1), to: &b)
            ReportWriter.write("\" at=\"", to: &b)
            b.append(contentsOf: timestamp)
            ReportWriter.write("\" power=\"", to: &b)
            ReportWriter.writeTenths(power, to: &b)
            ReportWriter.write("\" energy=\"", to: &b)
            if kind == .invalid && sensor == 0 {
                ReportWriter.write("-1", to: &b)
            } else {
                ReportWriter.writeTenths(site.energy[sensor], to: &b)
            }
            ReportWriter.write("\" voltage=\"", to: &b)
            ReportWriter.writeTenths(voltage, to: &b)
            ReportWriter.write("\" current=\"", to: &b)
            ReportWriter.writeTenths(power / voltage, to: &b)
            ReportWriter.write("\" temperature=\"", to: &b)
            ReportWriter.writeTenths(12 + 30 * sun * site.clouds, to: &b)
            ReportWriter.write("\"/>", to: &b)
        }
        ReportWriter.write("</report>\n", to: &b)
        self.site = site
        self.random = random
        return allocator.buffer(bytes: b)
    }

    /// One reply line from the server.
    func reply(_ line: ByteBufferView) {
        guard pendingCount > 0 else { return }
        let now = NIODeadline.now()
        lastReplyAt = now
        let head = unacked[unackedHead]
        if line.starts(with: "<ack ".utf8) {
            unackedHead += 1
            stats.acks += 1
            stats.stored += Self.attribute(line, "stored=\"")
            stats.duplicates += Self.attribute(line, "duplicates=\"")
            stats.latencies.append(UInt32(clamping: (now - head.sentAt).nanoseconds / 1000))
            if record { stats.ackedSeqs.append(head.seq) }
        } else if line.starts(with: "<nack ".utf8) {
            unackedHead += 1
            stats.nacks += 1
        } else if line.starts(with: "<error ".utf8) {
            stats.errors += 1
            // The server refused the broken report; anything else (overloaded, timeout)
            // stays unacknowledged and is resent after reconnecting.
            if head.kind == .malformed { unackedHead += 1 }
        }
        if unackedHead > 1024 {
            unacked.removeFirst(unackedHead)
            unackedHead = 0
        }
    }

    static func attribute(_ line: ByteBufferView, _ name: StaticString) -> Int {
        let needle = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var i = line.startIndex
        let end = line.endIndex
        search: while i + needle.count <= end {
            for k in 0..<needle.count where line[i + k] != needle[k] {
                i += 1
                continue search
            }
            var value = 0
            var j = i + needle.count
            while j < end, line[j] >= 48, line[j] <= 57 {
                value = value * 10 + Int(line[j] - 48)
                j += 1
            }
            return value
        }
        return 0
    }

    /// TLS is up: how long since the TCP connect started.
    func handshakeCompleted() {
        stats.handshakeMicros.append(UInt32(clamping: (NIODeadline.now() - connectStartedAt).nanoseconds / 1000))
    }

    func disconnected() {
        channel = nil
        guard !finished else { return }
        if creationFinished && pendingCount == 0 { return finish() }
        stats.reconnects += 1
        loop.scheduleTask(in: .milliseconds(100)) { [self] in connect() }
    }

    func checkDone() {
        if !finished, creationFinished, pendingCount == 0 { finish() }
    }

    func finish() {
        guard !finished else { return }
        finished = true
        stats.unacknowledged = pendingCount
        stats.activeSeconds = Double((lastReplyAt - start).nanoseconds) / 1e9
        channel?.close(promise: nil)
        channel = nil
        promise.succeed(stats)
    }
}

/// Splits the server's reply lines and hands them to the gateway.
final class ReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let gateway: SimGateway
    var buffer = ByteBuffer()

    init(gateway: SimGateway) {
        self.gateway = gateway
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        // Split first, then dispatch: a reply may close the channel re-entrantly.
        var lines: [ByteBuffer] = []
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(buffer.readSlice(length: newline - buffer.readerIndex)!)
            buffer.moveReaderIndex(forwardBy: 1)
        }
        buffer.discardReadBytes()
        for line in lines { gateway.reply(line.readableBytesView) }
        // Refill the window once per read: one write syscall for all the new reports.
        if !lines.isEmpty { gateway.pump() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        gateway.disconnected()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { gateway.handshakeCompleted() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
