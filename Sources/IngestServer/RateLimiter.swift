import NIOConcurrencyHelpers
import NIOCore

/// Token buckets per gateway for the provider's readings rate: a bucket holds up to `burst`
/// readings and refills at `rate` per second; a report takes as many tokens as it has
/// readings. Shared by all connections (a gateway may open several).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])
    /// Beyond this many buckets, full ones (gateways quiet long enough to refill) are dropped.
    private let maxBuckets: Int

    init(maxBuckets: Int = 50_000) {
        self.maxBuckets = maxBuckets
    }

    /// Takes `cost` tokens from `gateway`'s bucket; false when it has too few (nothing is taken).
    /// A report bigger than the burst needs a full bucket and leaves it in debt, so the
    /// average rate still holds.
    func take(_ gateway: String, cost: Int, rate: Double, burst: Double, now: UInt64 = NIODeadline.now().uptimeNanoseconds) -> Bool {
        guard cost > 0 else { return true }  // heartbeats store no readings
        return buckets.withLockedValue { buckets in
            var bucket = buckets[gateway] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double(now &- bucket.updated) / 1e9
            bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= min(Double(cost), burst)
            if allowed { bucket.tokens -= Double(cost) }
            buckets[gateway] = bucket
            if buckets.count > maxBuckets {
                buckets = buckets.filter { _, b in b.tokens + Double(now &- b.updated) / 1e9 * rate < burst }
            }
            return allowed
        }
    }
}
