import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

// The built servers as plain processes on loopback, shared by the suites that run them.

/// A long-running program whose output goes to a file; terminated when the test ends.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let log: URL

    init(_ path: String, _ arguments: [String], environment: [String: String] = [:], log: URL) throws {
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { given, _ in given }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// One GET on loopback with curl-free Foundation; nil when nothing answers.
func get(_ url: String) async -> (status: Int, body: Data)? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 30  // one answer a loaded machine may be slow to give
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, data)
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes; the last value.
func waitFor<T>(_ timeout: Duration, _ what: String, _ probe: () async throws -> T?, until condition: (T) -> Bool) async throws -> T? {
    let deadline = ContinuousClock.now + timeout
    var last: T?
    while ContinuousClock.now < deadline {
        last = try await probe()
        if let last, condition(last) { return last }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out after \(timeout) waiting for \(what); last: \(String(describing: last))")
    return last
}
