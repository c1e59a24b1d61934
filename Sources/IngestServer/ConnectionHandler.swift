import GatewayProtocol
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import TenantStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Milliseconds since the epoch, UTC.
func nowMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// One gateway connection, confined to its event loop. Decoded requests are checked
/// (access, then the readings rate), queued for group commit in batches per read, and replied to in order; a
/// stream fault is answered after the replies that precede it, then the connection closes.
final class IngestConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = GatewayRequest
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private let committer: GroupCommitter
    private let authenticator: GatewayAuthenticator
    private let limiter: RateLimiter
    private let recorder: RefusalRecorder
    private let maxInFlight: Int
    private let metrics: IngestMetrics
    private var logger: Logger

    private var context: ChannelHandlerContext?
    private var sink: Sink?
    /// Entries decoded in the current read burst, submitted together at read-complete.
    private var batch: [GroupCommitter.Entry] = []
    /// Requests waiting behind a key check, in order.
    private var waiting: [GatewayRequest] = []
    private var checking = false
    /// Keys accepted on this connection, per gateway ("" when none was needed; yescrypt is
    /// too slow per report).
    private var acceptedKeys: [String: String] = [:]
    /// Mutual TLS: whether client certificates are verified, the identity the verified
    /// certificate gives (set at handshake, before any report), and the gateways it was
    /// accepted for. With an identity, keys play no part.
    private let verifiesClients: Bool
    private var identity: VerifiedGatewayIdentity?
    private var certifiedGateways: Set<String> = []
    /// Submitted requests whose reply has not been written yet.
    private var inFlight = 0
    /// Readings of those requests, oldest first, so that one gateway sending huge reports
    /// stops being read long before it could fill the shared commit queue.
    private var inFlightWeights = CircularBuffer<Int>()
    private var inFlightReadings = 0
    private let maxInFlightReadings: Int
    /// The fault to send once every earlier reply is out; nothing more is read.
    private var fault: GatewayStreamError?
    /// No more input: close once every reply is written.
    private var finishing = false
    private var readPending = false
    private var closed = false
    /// The error is written: input is read and thrown away until the gateway closes.
    private var draining = false

    init(
        committer: GroupCommitter, authenticator: GatewayAuthenticator, limiter: RateLimiter, recorder: RefusalRecorder,
        maxInFlight: Int, maxInFlightReadings: Int, metrics: IngestMetrics, logger: Logger, verifiesClients: Bool = false
    ) {
        self.verifiesClients = verifiesClients
        self.committer = committer
        self.authenticator = authenticator
        self.limiter = limiter
        self.recorder = recorder
        self.maxInFlight = maxInFlight
        self.maxInFlightReadings = maxInFlightReadings
        self.metrics = metrics
        self.logger = logger
    }

    /// The committer's handle on this connection: hops replies onto the event loop.
    final class Sink: ReplySink, @unchecked Sendable {
        // Safety: `handler` is only touched on `eventLoop` (NIOLoopBound checks it).
        let handler: NIOLoopBound<IngestConnectionHandler>
        let eventLoop: any EventLoop

        init(handler: IngestConnectionHandler, eventLoop: any EventLoop) {
            self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
            self.eventLoop = eventLoop
        }

        func deliver(_ replies: [GatewayReply]) {
            eventLoop.execute { self.handler.value.write(replies) }
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.sink = Sink(handler: self, eventLoop: context.eventLoop)
        if let remote = context.channel.remoteAddress { logger[metadataKey: "peer"] = "\(remote)" }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        metrics.connectionsOpen.increment()
        logger.debug("gateway connected")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        metrics.connectionsOpen.decrement()
        closed = true
        logger.debug("gateway disconnected")
        context.fireChannelInactive()
    }

    // MARK: Input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard fault == nil, !finishing else { return }
        let request = unwrapInboundIn(data)
        if checking {
            waiting.append(request)
        } else {
            handle(request)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        submitBatch()
        context.fireChannelReadComplete()
    }

    private func handle(_ request: GatewayRequest) {
        guard let sink else { return }
        switch request {
        case .invalid(let invalid):
            metrics.nacks.increment()
            logger.info("report refused", metadata: ["gateway.id": "\(invalid.gateway)", "reason": "\(invalid.reason)"])
            batch.append(.init(sink: sink, report: nil, seq: 0,
                reply: .nack(gateway: invalid.gateway, seq: invalid.seq, code: "invalid", reason: invalid.reason)))
        case .report(let report):
            if let policy = authenticator.cachedPolicy(), !policy.disabled.contains(report.gateway) {
                // Only gateways this connection already checked pass without the store: with a
                // client certificate those it was checked for, else those whose key (or no key)
                // was accepted and that have not since been registered for a certificate.
                let known = identity != nil
                    ? certifiedGateways.contains(report.gateway)
                    : acceptedKeys[report.gateway] == (report.key ?? "") && !policy.certificateOnly.contains(report.gateway)
                if known { return accept(report, policy: policy) }
            }
            // Needs the database or a hash check: hold this and every later request.
            checking = true
            submitBatch()
            let loop = NIOLoopBound(self, eventLoop: context!.eventLoop)
            let authenticator = self.authenticator
            let eventLoop = context!.eventLoop
            let identity = self.identity
            Task {
                let decision = await authenticator.check(gateway: report.gateway, key: report.key, identity: identity)
                eventLoop.execute { loop.value.checked(report, decision) }
            }
        }
    }

    private func accept(_ report: ReportRequest, policy: IngestPolicy?) {
        if let rate = policy?.limits.readingsPerSecond, let burst = policy?.limits.effectiveBurst,
            !limiter.take(report.gateway, cost: report.readings.count, rate: rate, burst: burst)
        {
            // Never dropped silently: the gateway is told, keeps the report and resends it.
            let reason = "over \(Self.number(rate)) readings/s (burst \(Self.number(burst))), retry later"
            metrics.nacks.increment()
            metrics.rateLimited.increment()
            recorder.record(.rateLimited, gateway: report.gateway, reason: reason, at: nowMillis())
            batch.append(.init(sink: sink!, report: nil, seq: report.seq,
                reply: .nack(gateway: report.gateway, seq: String(report.seq), code: "rate-limited", reason: reason)))
            return
        }
        batch.append(.init(sink: sink!, report: GatewayReport(gateway: report.gateway, readings: report.readings, receivedAt: nowMillis()), seq: report.seq, reply: nil))
    }

    private func checked(_ report: ReportRequest, _ decision: GatewayAuthenticator.Decision) {
        checking = false
        // Requests that arrived before a fault still get their replies; only a closed
        // connection drops them (the gateway resends).
        guard !closed else { return }
        switch decision {
        case .allowed:
            if identity != nil {
                certifiedGateways.insert(report.gateway)
            } else {
                acceptedKeys[report.gateway] = report.key ?? ""
            }
            accept(report, policy: authenticator.cachedPolicy())
        case .refused(let reason), .unavailable(let reason):
            if case .refused = decision { recorder.record(.refused, gateway: report.gateway, reason: reason, at: nowMillis()) }
            metrics.nacks.increment()
            logger.info("report unauthorized", metadata: ["gateway.id": "\(report.gateway)", "reason": "\(reason)"])
            batch.append(.init(sink: sink!, report: nil, seq: report.seq,
                reply: .nack(gateway: report.gateway, seq: String(report.seq), code: "unauthorized", reason: reason)))
        }
        while !checking, !waiting.isEmpty {
            handle(waiting.removeFirst())
        }
        submitBatch()
        closeIfDone()
        resumeReadingIfPossible()
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private func submitBatch() {
        guard !batch.isEmpty else { return }
        let entries = batch
        batch.removeAll(keepingCapacity: true)
        if committer.submit(entries) {
            inFlight += entries.count
            for entry in entries {
                let weight = entry.report?.readings.count ?? 0
                inFlightWeights.append(weight)
                inFlightReadings += weight
            }
        } else {
            streamFault(GatewayStreamError(.overloaded, "server overloaded, retry later"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if fault != nil {
            return  // the decoder reports input after its fault; it is discarded
        } else if let error = error as? GatewayStreamError {
            submitBatch()  // requests decoded before the fault keep their replies
            streamFault(error)
        } else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            tlsEstablished(context)
            context.fireUserInboundEventTriggered(event)
        } else if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            submitBatch()
            streamFault(GatewayStreamError(.timeout, "idle for too long"))
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            if draining { return context.close(promise: nil) }
            submitBatch()
            finishing = true
            closeIfDone()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The TLS handshake is done: a client certificate, verified against the client CA by
    /// then (a bad one fails the handshake), becomes the connection's identity.
    private func tlsEstablished(_ context: ChannelHandlerContext) {
        metrics.tlsHandshakes.increment()
        guard verifiesClients, let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() else {
            logger.debug("TLS established")
            return
        }
        identity = VerifiedGatewayIdentity(certificate: certificate)
        if let identity {
            logger[metadataKey: "tls.gateway"] = "\(identity)"
            logger.debug("TLS established with a client certificate")
        } else {
            // Verified but naming no valid gateway id: nothing to authenticate; keys still apply.
            logger.info("client certificate names no gateway id")
        }
    }

    /// Graceful shutdown: read nothing more, reply to what was accepted, then close.
    func shutdown() {
        guard !finishing else { return }
        submitBatch()
        finishing = true
        waiting.removeAll()
        closeIfDone()
    }

    private func streamFault(_ error: GatewayStreamError) {
        guard fault == nil else { return }
        fault = error
        metrics.errors.increment()
        logger.info("stream error", metadata: ["error.code": "\(error.code.rawValue)", "reason": "\(error.reason)"])
        closeIfDone()
    }

    // MARK: Output

    private func write(_ replies: [GatewayReply]) {
        inFlight -= replies.count
        for _ in 0..<min(replies.count, inFlightWeights.count) { inFlightReadings -= inFlightWeights.removeFirst() }
        guard let context, !closed else { return }
        var buffer = context.channel.allocator.buffer(capacity: replies.count * 80)
        var failed = false
        for reply in replies {
            reply.write(to: &buffer)
            if case .error = reply {
                failed = true
                break
            }
        }
        if failed {
            closed = true
            metrics.errors.increment()
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        closeIfDone()
        resumeReadingIfPossible()
    }

    private func closeIfDone() {
        guard inFlight == 0, !checking, batch.isEmpty, let context, !closed else { return }
        if let fault {
            closed = true
            var buffer = context.channel.allocator.buffer(capacity: 96)
            GatewayReply.error(fault).write(to: &buffer)
            // Lingering close: half-close, then discard input until the gateway closes (or
            // 2 s pass), so that unread pipelined data does not turn into a TCP reset that
            // would destroy the error line before the gateway reads it.
            draining = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
            }
            if readPending {
                readPending = false
                context.read()
            }
        } else if finishing {
            closed = true
            context.close(promise: nil)
        }
    }

    // MARK: Backpressure

    func read(context: ChannelHandlerContext) {
        if draining {
            context.read()
        } else if inFlight >= maxInFlight || inFlightReadings >= maxInFlightReadings || checking || fault != nil || finishing {
            readPending = true
        } else {
            context.read()
        }
    }

    private func resumeReadingIfPossible() {
        guard readPending, inFlight < maxInFlight, inFlightReadings < maxInFlightReadings, !checking, fault == nil, !finishing, let context else { return }
        readPending = false
        context.read()
    }
}
