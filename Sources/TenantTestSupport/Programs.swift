import Dispatch
import Foundation
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
    /// It was still running at the deadline and was terminated.
    public var timedOut: Bool
}

/// Runs `path` to completion with its output captured in temporary files (so a chatty
/// program never stalls on a full pipe), terminating it after `timeout`. `environment`
/// replaces the inherited one when given.
public func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(300)
) async throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let directory = FileManager.default.temporaryDirectory
    let outFile = directory.appendingPathComponent("run-\(UUID().uuidString).out")
    let errFile = directory.appendingPathComponent("run-\(UUID().uuidString).err")
    FileManager.default.createFile(atPath: outFile.path, contents: nil)
    FileManager.default.createFile(atPath: errFile.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outFile)
        try? FileManager.default.removeItem(at: errFile)
    }
    process.standardOutput = try FileHandle(forWritingTo: outFile)
    process.standardError = try FileHandle(forWritingTo: errFile)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = ContinuousClock.now + timeout
    var timedOut = false
    while process.isRunning {
        if ContinuousClock.now > deadline {
            process.terminate()
            timedOut = true
            break
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    process.waitUntilExit()
    return ProgramResult(
        code: process.terminationStatus,
        out: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
        err: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "",
        timedOut: timedOut)
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
