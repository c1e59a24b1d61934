/// A condition a test waited for did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public let description: String
}

/// Returns as soon as `condition` holds, checking every 10 ms; throws ``WaitTimeout`` naming
/// `what` after `timeout`. For events a test cannot subscribe to (a row appears, a meter
/// moves): the test waits for the event itself, never for a guessed time.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout(description: "timed out after \(timeout) waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
