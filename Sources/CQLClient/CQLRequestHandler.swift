import CQLProtocol
import NIOCore

/// A request on its way to the wire, with the promise its response completes.
struct CQLOutboundRequest: Sendable {
    var request: CQLRequest
    var timeout: TimeAmount
    /// Columns of a Rows result sent without metadata (unused unless Skip_metadata is set).
    var resultColumns: [CQLColumnSpec]?
    var promise: EventLoopPromise<CQLResponse.Decoded>
}

/// Multiplexes requests over one connection by stream id (section 2.3): assigns ids, matches
/// responses, fails requests that time out, and fails everything pending when the channel goes.
///
/// A timed-out stream id is not reused until its late response arrives (or the connection
/// closes), so a late answer can never be taken for the answer to a newer request.
final class CQLRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = CQLFrame
    typealias OutboundIn = CQLOutboundRequest
    typealias OutboundOut = CQLFrame

    private struct Pending {
        var promise: EventLoopPromise<CQLResponse.Decoded>
        var timeout: Scheduled<Void>?
        var resultColumns: [CQLColumnSpec]?
    }

    private var freeStreams: [Int16]
    /// How many stream ids this connection uses.
    let capacity: Int
    private var pending: [Int16: Pending] = [:]
    private var orphaned: Set<Int16> = []
    private let maxOrphaned: Int
    private var closedError: CQLClientError?

    /// `maxInFlight` stream ids (1...32768) are used, lowest first.
    init(maxInFlight: Int) {
        let count = min(max(maxInFlight, 1), 32768)
        freeStreams = (0..<count).reversed().map { Int16($0) }
        capacity = count
        maxOrphaned = max(count / 2, 1)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        if let closedError {
            outbound.promise.fail(closedError)
            promise?.fail(closedError)
            return
        }
        guard let stream = freeStreams.popLast() else {
            let error = CQLClientError(.tooManyRequestsInFlight, "all stream ids of the connection are in use")
            outbound.promise.fail(error)
            promise?.fail(error)
            return
        }
        let frame: CQLFrame
        do {
            frame = try outbound.request.frame(stream: stream, allocator: context.channel.allocator)
        } catch {
            freeStreams.append(stream)
            outbound.promise.fail(error)
            promise?.fail(error)
            return
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: outbound.timeout) { [weak self] in
            guard let self else { return }
            self.timedOut(stream: stream, after: outbound.timeout, context: context)
        }
        pending[stream] = Pending(promise: outbound.promise, timeout: timeout, resultColumns: outbound.resultColumns)
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    private func timedOut(stream: Int16, after timeout: TimeAmount, context: ChannelHandlerContext) {
        guard let entry = pending.removeValue(forKey: stream) else { return }
        orphaned.insert(stream)
        entry.promise.fail(CQLClientError(.timeout, "no response within \(timeout.nanoseconds / 1_000_000) ms"))
        // A connection that keeps losing answers is unhealthy: drop it and let the pool reconnect.
        if orphaned.count > maxOrphaned { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.stream >= 0 else { return }  // server events: not registered for, ignored
        if orphaned.remove(frame.stream) != nil {
            freeStreams.append(frame.stream)
            return
        }
        guard let entry = pending.removeValue(forKey: frame.stream) else {
            fail(CQLClientError(.protocolViolation, "response on stream \(frame.stream), which has no request"), context: context)
            return
        }
        entry.timeout?.cancel()
        freeStreams.append(frame.stream)
        do {
            guard frame.isResponse else { throw CQLProtocolError("request frame received from the server") }
            entry.promise.succeed(try CQLResponse.decode(
                opcode: frame.opcode, flags: frame.flags, body: frame.body, resultColumns: entry.resultColumns))
        } catch {
            entry.promise.fail(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let clientError = (error as? CQLClientError)
            ?? CQLClientError(error is CQLProtocolError ? .protocolViolation : .connectionClosed, "connection failed: \(error)")
        fail(clientError, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(CQLClientError(.connectionClosed, "connection closed with the request outstanding"))
        context.fireChannelInactive()
    }

    private func fail(_ error: CQLClientError, context: ChannelHandlerContext) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: CQLClientError) {
        if closedError == nil { closedError = error }
        let entries = pending
        pending.removeAll()
        for (_, entry) in entries {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }
}
