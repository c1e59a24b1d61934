import CQLProtocol
import NIOCore

// Encode/decode throughput of the frames the store sends and receives most: an EXECUTE of the
// readings INSERT (9 bound values), a BATCH of 100 of them, and a RESULT page of 5000 readings.
// Run with `make bench-cql` (release build). Prints one line per case.

@main
enum CQLBench {
    static func measure(_ name: String, iterations: Int, bytes: Int, _ body: () throws -> Void) rethrows {
        let clock = ContinuousClock()
        try body()  // warm up
        let elapsed = try clock.measure { for _ in 0..<iterations { try body() } }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = Double(iterations) / seconds
        let mib = Double(bytes) * perSecond / 1_048_576
        print("\(name): \(Int(perSecond)) ops/s, \(Int(mib)) MiB/s (\(bytes) bytes per op)")
    }

    static func main() throws {
        let values: [CQLValue] = [
            .text("gw-0001"), .text("inv-1"), .date(20_417), .timestamp(1_764_065_700_000), .double(1834.5),
            .double(15230), .double(231.2), .unset, .double(41.5),
        ]
        let id = Array(repeating: UInt8(0xAB), count: 16)
        let execute = CQLRequest.execute(id: id, CQLQueryParameters(consistency: .localQuorum, values: values))
        let batch = CQLRequest.batch(CQLBatch(
            kind: .unlogged, statements: Array(repeating: .init(query: .prepared(id: id), values: values), count: 100),
            consistency: .localQuorum))
        var out = ByteBuffer()
        out.reserveCapacity(1 << 20)

        for (name, request, iterations) in [("EXECUTE (9 values)", execute, 1_000_000), ("BATCH (100 x 9 values)", batch, 20_000)] {
            out.clear()
            try request.frame(stream: 1).write(to: &out)
            let size = out.readableBytes
            try measure("encode " + name, iterations: iterations, bytes: size) {
                out.clear()
                try request.frame(stream: 1).write(to: &out)
            }
            var copy = out
            let frame = try CQLFrame.read(from: &copy)!
            try measure("decode " + name, iterations: iterations, bytes: size) {
                var input = out
                let frame = try CQLFrame.read(from: &input)!
                _ = try CQLRequest.decode(opcode: frame.opcode, body: frame.body)
            }
            _ = frame
        }

        let columns = [("sensor", CQLDataType.varchar), ("at", .timestamp), ("power", .double), ("energy", .double),
                       ("voltage", .double), ("current", .double), ("temperature", .double)]
            .map { CQLColumnSpec(keyspace: "p1", table: "readings", name: $0.0, type: $0.1) }
        let rows: [[CQLValue]] = (0..<5000).map { i in
            [.text("inv-\(i % 8)"), .timestamp(1_764_065_700_000 + Int64(i) * 60_000), .double(Double(i)), .double(1),
             .double(231.2), .null, .double(40)]
        }
        let result = CQLResponse.result(.rows(CQLRows(columns: columns, rows: rows, pagingState: [1, 2, 3])))
        out.clear()
        try result.frame(stream: 1).write(to: &out)
        let size = out.readableBytes
        try measure("decode RESULT rows (5000 x 7 columns)", iterations: 300, bytes: size) {
            var input = out
            let frame = try CQLFrame.read(from: &input)!
            _ = try CQLResponse.decode(opcode: frame.opcode, flags: frame.flags, body: frame.body)
        }
        try measure("encode RESULT rows (5000 x 7 columns)", iterations: 300, bytes: size) {
            out.clear()
            try result.frame(stream: 1).write(to: &out)
        }
    }
}

