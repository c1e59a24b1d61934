import GatewayProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TenantStorage

/// Where a connection's replies go; the committer calls it off the event loop.
protocol ReplySink: AnyObject, Sendable {
    /// Delivers replies for entries this sink submitted, in submission order.
    func deliver(_ replies: [GatewayReply])
}

/// Group commit: reports from every connection are queued; one loop takes everything that
/// queued up while the previous commit ran and stores it in one transaction (one sync),
/// then hands each connection its replies. Requests that need no storage (nacks) travel
/// through the same queue so that every connection's replies stay in request order.
final class GroupCommitter: Sendable {
    struct Entry: Sendable {
        let sink: any ReplySink
        /// The report to store; nil for a pre-decided reply.
        let report: GatewayReport?
        let seq: UInt64
        let reply: GatewayReply?
    }

    private struct State {
        var queue: [Entry] = []
        var queuedWeight = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finishing = false
    }

    private let state = NIOLockedValueBox(State())
    private let store: any ReadingStore
    private let maxQueued: Int
    private let maxBatch: Int
    private let logger: Logger
    private let metrics: IngestMetrics

    init(store: any ReadingStore, maxQueued: Int, maxBatch: Int, logger: Logger, metrics: IngestMetrics) {
        self.store = store
        self.maxQueued = maxQueued
        self.maxBatch = maxBatch
        self.logger = logger
        self.metrics = metrics
    }

    private static func weight(_ entry: Entry) -> Int { 1 + (entry.report?.readings.count ?? 0) }

    /// Queues `entries` (all or none); false when the queue is full: the caller answers `overloaded`.
    func submit(_ entries: [Entry]) -> Bool {
        let weight = entries.reduce(0) { $0 + Self.weight($1) }
        let (accepted, waiter) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
            // An empty queue always takes a request, so one huge report cannot starve.
            guard state.queuedWeight + weight <= maxQueued || state.queue.isEmpty else { return (false, nil) }
            state.queue.append(contentsOf: entries)
            state.queuedWeight += weight
            metrics.queuedReadings.set(state.queuedWeight)
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Runs group commits until ``finish()`` is called and the queue is empty.
    func run() async {
        while let batch = await nextBatch() {
            await commit(batch)
        }
    }

    /// Lets ``run()`` return once everything queued so far is committed and replied to.
    func finish() {
        let waiter = state.withLockedValue { state in
            state.finishing = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func nextBatch() async -> [Entry]? {
        while true {
            enum Next { case batch([Entry]), done, wait }
            let next: Next = state.withLockedValue { state in
                if !state.queue.isEmpty {
                    var weight = 0
                    var count = 0
                    for entry in state.queue {
                        weight += Self.weight(entry)
                        count += 1
                        if weight >= maxBatch { break }
                    }
                    let batch = Array(state.queue.prefix(count))
                    state.queue.removeFirst(count)
                    state.queuedWeight -= weight
                    metrics.queuedReadings.set(state.queuedWeight)
                    return .batch(batch)
                }
                return state.finishing ? .done : .wait
            }
            switch next {
            case .batch(let batch): return batch
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLockedValue { state in
                        if !state.queue.isEmpty || state.finishing { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    private func commit(_ batch: [Entry]) async {
        let reports = batch.compactMap(\.report)
        var outcomes: [ReportOutcome] = []
        var failure: (any Error)?
        if !reports.isEmpty {
            let start = ContinuousClock.now
            do {
                outcomes = try await store.commit(reports)
            } catch {
                failure = error
                logger.error("commit failed", metadata: ["error": "\(error)", "ingest.reports": "\(reports.count)"])
            }
            let elapsed = ContinuousClock.now - start
            metrics.commitDuration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            metrics.commits.increment()
        }
        // Replies per connection, in queue order.
        var bySink: [ObjectIdentifier: (any ReplySink, [GatewayReply])] = [:]
        var next = 0
        var stored = 0
        var duplicates = 0
        var acked = 0
        for entry in batch {
            let reply: GatewayReply
            if let report = entry.report {
                if failure != nil {
                    reply = .error(GatewayStreamError(.overloaded, "storage unavailable, retry later"))
                } else {
                    let outcome = outcomes[next]
                    stored += outcome.stored
                    duplicates += outcome.duplicates
                    acked += 1
                    reply = .ack(gateway: report.gateway, seq: entry.seq, stored: outcome.stored, duplicates: outcome.duplicates)
                }
                next += 1
            } else {
                reply = entry.reply!
            }
            bySink[ObjectIdentifier(entry.sink), default: (entry.sink, [])].1.append(reply)
        }
        if failure != nil { metrics.errors.increment(by: reports.count) }
        metrics.committed(stored: stored, duplicates: duplicates, acked: acked, nowMillis: nowMillis())
        for (sink, replies) in bySink.values {
            sink.deliver(replies)
        }
    }
}
