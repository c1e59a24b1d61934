import Foundation
import TenantTestSupport
import Testing

// Running the built programs, shared by the end-to-end suites.

/// Runs a program to completion, capturing its output; a timeout is a test failure.
@discardableResult
func run(_ path: String, _ arguments: [String], timeout: Duration = .seconds(300)) async throws -> ProgramResult {
    let result = try await runProgram(path, arguments, timeout: timeout)
    if result.timedOut { Issue.record("\(path) \(arguments.joined(separator: " ")) timed out") }
    return result
}

/// The tenantctl built with the tests.
func tenantctl(_ arguments: [String]) async throws -> ProgramResult {
    try await run(builtProduct("tenantctl"), arguments)
}

/// tenantctl that must succeed; returns its stdout.
func tenantctlOK(_ arguments: [String]) async throws -> String {
    let result = try await tenantctl(arguments)
    try #require(result.code == 0, "tenantctl \(arguments.joined(separator: " ")) exited \(result.code): \(result.err)")
    return result.out
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}
