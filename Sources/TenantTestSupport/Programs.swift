import Dispatch
import Foundation
import Subprocess
import Synchronization

/// The executable `name` built with the tests: the first directory at or above the running
/// test bundle's that holds it (the same build directory, whatever `--scratch-path` is).
public func builtProduct(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while directory.path != "/" && !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path) {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent(name).path
}

/// How a program run by ``runProgram(_:_:environment:timeout:)`` ended.
public struct ProgramResult: Sendable {
    public var code: Int32
    public var out: String
    public var err: String
    /// It was still running at the deadline and was killed (`code` is -1, the output is lost).
    public var timedOut: Bool
}

/// Runs `path` to completion with its output collected while it runs (so a chatty program
/// never stalls on a full pipe), killing it after `timeout`. `environment` replaces the
/// inherited one when given.
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(300)
) async throws -> ProgramResult {
    let environment: Subprocess.Environment = environment.map { .custom($0.map { Array("\($0.key)=\($0.value)".utf8) + [0] }) } ?? .inherit
    return try await withThrowingTaskGroup(of: ProgramResult.self) { group in
        group.addTask {
            let result = try await Subprocess.run(
                .path(.init(path)), arguments: Arguments(arguments), environment: environment,
                output: .string(limit: 64 << 20), error: .string(limit: 64 << 20))
            let code: Int32
            switch result.terminationStatus {
            case .exited(let status): code = status
            case .signaled(let signal): code = signal
            }
            return ProgramResult(code: code, out: result.standardOutput, err: result.standardError, timedOut: false)
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return ProgramResult(code: -1, out: "", err: "", timedOut: true)
        }
        // The first to finish decides; cancelling the run kills a program still running.
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Waits until `process` exits, at most `timeout`: its exit status, or nil if it is still
/// running then. The wait blocks a dispatch thread, never the test's task.
public func exitStatus(of process: Process, within timeout: Duration) async -> Int32? {
    let pending = Mutex<CheckedContinuation<Int32?, Never>?>(nil)
    return await withCheckedContinuation { continuation in
        pending.withLock { $0 = continuation }
        DispatchQueue.global().async {
            process.waitUntilExit()
            pending.withLock { $0.take() }?.resume(returning: process.terminationStatus)
        }
        let (seconds, attoseconds) = timeout.components
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))) {
            pending.withLock { $0.take() }?.resume(returning: nil)
        }
    }
}
