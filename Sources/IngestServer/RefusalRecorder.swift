import EventLoopExecution
import Logging
import NIOConcurrencyHelpers
import TenantStorage

/// Collects refused and rate-limited reports per gateway and writes them to the store at
/// most once per `flushDelay`, in one short transaction, so a flood costs one write a second
/// and an idle server none. Holds at most `maxPending` gateways between writes; further
/// new ids in that window are only counted (the store keeps a bounded table anyway).
final class RefusalRecorder: Sendable {
    private struct Key: Hashable {
        var kind: GatewayRefusal.Kind
        var gateway: String
    }

    private struct State {
        var pending: [Key: GatewayRefusal] = [:]
        var dropped = 0
        var flushScheduled = false
    }

    private let store: any GatewayAuthStore
    private let flushDelay: Duration
    private let maxPending: Int
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(store: any GatewayAuthStore, flushDelay: Duration = .seconds(1), maxPending: Int = 256, logger: Logger) {
        self.store = store
        self.flushDelay = flushDelay
        self.maxPending = maxPending
        self.logger = logger
    }

    func record(_ kind: GatewayRefusal.Kind, gateway: String, reason: String, at: EpochMillis) {
        add([GatewayRefusal(kind: kind, gateway: gateway, reason: reason, attempts: 1, lastAttempt: at)])
    }

    /// Adds refusals to what is pending and makes sure a flush is coming.
    private func add(_ refusals: [GatewayRefusal]) {
        let schedule = state.withLockedValue { state -> Bool in
            for new in refusals {
                let key = Key(kind: new.kind, gateway: new.gateway)
                if var refusal = state.pending[key] {
                    refusal.attempts += new.attempts
                    if new.lastAttempt >= refusal.lastAttempt { refusal.reason = new.reason }
                    refusal.lastAttempt = max(refusal.lastAttempt, new.lastAttempt)
                    state.pending[key] = refusal
                } else if state.pending.count < maxPending {
                    state.pending[key] = new
                } else {
                    state.dropped += 1
                }
            }
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        if schedule {
            Task {
                try? await EventLoopClock().sleep(for: flushDelay)
                await flush()
            }
        }
    }

    /// Writes what is pending now (also called at shutdown).
    func flush() async {
        let (refusals, dropped) = state.withLockedValue { state in
            defer {
                state.pending = [:]
                state.dropped = 0
                state.flushScheduled = false
            }
            return (Array(state.pending.values), state.dropped)
        }
        guard !refusals.isEmpty else { return }
        if dropped > 0 {
            logger.warning("refusals from too many gateways at once: some not recorded", metadata: ["refusals.dropped": "\(dropped)"])
        }
        do {
            try await store.recordRefusals(refusals)
        } catch {
            // Kept for the next write a flush delay later: a store that is busy for a moment
            // loses no refusal, and one that keeps failing costs one attempt per delay.
            logger.warning("cannot record refused gateways, retrying", metadata: ["error": "\(error)"])
            add(refusals)
        }
    }
}
