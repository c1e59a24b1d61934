import Foundation
import TenantTestSupport

/// Runs Tests/CQLProtocolTests/Fixtures/cql_driver.py under Debian's /usr/bin/python3, which has
/// the DataStax driver (python3-cassandra). One process per batch of cases: JSON in, JSON out.
enum PythonDriver {
    static let python = "/usr/bin/python3"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/cql_driver.py").path

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends `cases` and returns one answer per case; an answer with "error" is a driver-side failure.
    static func run(_ cases: [[String: Any]]) async throws -> [[String: Any]] {
        let request = try JSONSerialization.data(withJSONObject: cases)
        // Python and the driver take seconds to start on a loaded machine: waited for on a
        // thread of its own, not one of the test run's few.
        let (status, data, stderr) = try await blocking { () throws -> (Int32, Data, Data) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script]
            let input = Pipe(), output = Pipe(), errors = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // Write on another thread: a large answer could otherwise fill the pipe and deadlock.
            Thread {
                input.fileHandleForWriting.write(request)
                try? input.fileHandleForWriting.close()
            }.start()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data, stderr)
        }
        guard status == 0 else {
            throw Failure(description: "cql_driver.py exited \(status): \(String(decoding: stderr, as: UTF8.self))")
        }
        guard let answers = try JSONSerialization.jsonObject(with: data) as? [[String: Any]], answers.count == cases.count else {
            throw Failure(description: "cql_driver.py answered \(String(decoding: data, as: UTF8.self))")
        }
        return answers
    }
}

extension Array where Element == UInt8 {
    init?(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }

    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
