import CQLProtocol
import Foundation
import NIOCore
import Testing

/// Our codec against the DataStax Python driver's own protocol code (cassandra.protocol),
/// in both directions. Where the driver has no encoder (server messages), the Python side
/// packs the bytes itself from the spec, independently of our encoder.
@Suite struct DriverInteropTests {
    /// Every value type this project binds, as a CQLValue and as the helper's typed JSON.
    nonisolated(unsafe) static let values: [(CQLValue, [String: Any])] = [
        (.text("gw-0001 ünïcode"), ["type": "text", "value": "gw-0001 ünïcode"]),
        (.bigint(-9_000_000_000_123), ["type": "bigint", "value": -9_000_000_000_123]),
        (.int(-42), ["type": "int", "value": -42]),
        (.double(1834.5), ["type": "double", "value": 1834.5]),
        (.double(-0.1), ["type": "double", "value": -0.1]),
        (.boolean(true), ["type": "boolean", "value": true]),
        (.timestamp(1_764_065_700_123), ["type": "timestamp", "value": 1_764_065_700_123]),
        (.timestamp(-86_400_000), ["type": "timestamp", "value": -86_400_000]),
        (.date(20_417), ["type": "date", "value": 20_417]),
        (.date(-3), ["type": "date", "value": -3]),
        (.blob([0, 1, 0xFE, 0xFF]), ["type": "blob", "value": "0001feff"]),
        (.null, ["type": "null"]),
        (.unset, ["type": "unset"]),
        (.list([.text("a"), .text("b")]), ["type": "list_text", "value": ["a", "b"]]),
    ]

    /// The serialized bytes of a value, as our decoder of requests reports them (`.raw`).
    static func raw(_ value: CQLValue) throws -> CQLValue {
        if value == .null || value == .unset { return value }
        var buffer = ByteBuffer()
        try value.write(to: &buffer)
        _ = buffer.readInteger(as: Int32.self)
        return .raw(buffer.readBytes(length: buffer.readableBytes)!)
    }

    static func frameBytes(_ frame: CQLFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        return buffer.readBytes(length: buffer.readableBytes)!
    }

    static func decodeFrame(_ hex: String) throws -> CQLFrame {
        var buffer = ByteBuffer(bytes: try #require([UInt8](hex: hex)))
        let frame = try #require(try CQLFrame.read(from: &buffer))
        #expect(buffer.readableBytes == 0)
        return frame
    }

    @Test func requestsMatchTheDriverByteForByteAndDecodeBack() async throws {
        let id: [UInt8] = [0xCA, 0xFE, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E]
        let allValues = Self.values.map(\.0)
        let allJSON = Self.values.map(\.1)
        var cases: [(CQLRequest, Int16, [String: Any])] = [
            (.defaultStartup, 0, ["kind": "startup", "cql_version": "3.0.0"]),
            (.options, 1, ["kind": "options"]),
            (.plainAuthResponse(username: "cassandra", password: "s3cret"), 2,
             ["kind": "auth_response", "token": ([0] + Array("cassandra".utf8) + [0] + Array("s3cret".utf8)).hex]),
            (.register(["SCHEMA_CHANGE"]), 3, ["kind": "register", "events": ["SCHEMA_CHANGE"]]),
            (.prepare("SELECT at FROM p1.readings WHERE gateway = ? AND sensor = ? AND day = ?"), 4,
             ["kind": "prepare", "query": "SELECT at FROM p1.readings WHERE gateway = ? AND sensor = ? AND day = ?"]),
            (.query("SELECT release_version FROM system.local", .init(consistency: .one)), 5,
             ["kind": "query", "query": "SELECT release_version FROM system.local", "consistency": 1]),
            (.query("SELECT * FROM p1.settings", .init(consistency: .localQuorum, pageSize: 500, pagingState: [9, 8, 7],
                                                        serialConsistency: .localSerial, defaultTimestamp: 1_764_065_700_123_456)), 32767,
             ["kind": "query", "query": "SELECT * FROM p1.settings", "consistency": 6, "page_size": 500,
              "paging_state": "090807", "serial": 9, "timestamp": 1_764_065_700_123_456]),
            (.execute(id: id, .init(consistency: .localQuorum, values: allValues, pageSize: 100)), 77,
             ["kind": "execute", "id": id.hex, "values": allJSON, "consistency": 6, "page_size": 100]),
            // The driver (3.25) never sets Skip_metadata on the wire, so this case does not ask for it.
            (.execute(id: id, .init(consistency: .quorum, values: [.text("x")], pageSize: 1000, pagingState: [1, 2])), 78,
             ["kind": "execute", "id": id.hex, "values": [["type": "text", "value": "x"]], "consistency": 4,
              "page_size": 1000, "paging_state": "0102"]),
            (.batch(CQLBatch(kind: .unlogged, statements: [
                .init(query: .prepared(id: id), values: allValues),
                .init(query: .text("INSERT INTO p1.gateways (id, sensor, day) VALUES (?, ?, ?)"),
                      values: [.text("gw"), .text("inv-1"), .date(20_417)]),
            ], consistency: .localQuorum, defaultTimestamp: 1_764_065_700_000_000)), 9,
             ["kind": "batch", "batch_type": 1, "consistency": 6, "timestamp": 1_764_065_700_000_000, "statements": [
                ["id": id.hex, "values": allJSON],
                ["query": "INSERT INTO p1.gateways (id, sensor, day) VALUES (?, ?, ?)",
                 "values": [["type": "text", "value": "gw"], ["type": "text", "value": "inv-1"], ["type": "date", "value": 20_417]]],
             ]]),
            (.batch(CQLBatch(kind: .logged, statements: [.init(query: .prepared(id: id), values: [])], consistency: .one)), 10,
             ["kind": "batch", "batch_type": 0, "consistency": 1, "statements": [["id": id.hex, "values": [] as [Any]]]]),
        ]
        // Every consistency level, as the driver numbers them (cassandra.ConsistencyLevel).
        let levels: [(CQLRequest, Int16, [String: Any])] = CQLConsistency.allCases.map { level in
            (.query("SELECT 1", .init(consistency: level)), Int16(level.rawValue),
             ["kind": "query", "query": "SELECT 1", "consistency": Int(level.rawValue)])
        }
        cases += levels
        let answers = try await PythonDriver.run(cases.map { ["op": "encode_request", "message": $0.2, "stream": Int($0.1)] })
        for ((request, stream, _), answer) in zip(cases, answers) {
            let driverHex = try #require(answer["hex"] as? String, "driver failed: \(answer)")
            // 1. Our encoder builds exactly the driver's frame.
            let ours = Self.frameBytes(try request.frame(stream: stream)).hex
            #expect(ours == driverHex, "\(request.opcode)")
            // 2. Our decoder reads the driver's frame back into the same request.
            let frame = try Self.decodeFrame(driverHex)
            #expect(frame.stream == stream)
            #expect(!frame.isResponse)
            let decoded = try CQLRequest.decode(opcode: frame.opcode, body: frame.body)
            #expect(decoded == (try Self.withRawValues(request)), "\(request.opcode)")
        }
    }

    /// The request as our decoder returns it: bound values are untyped bytes on the wire.
    static func withRawValues(_ request: CQLRequest) throws -> CQLRequest {
        switch request {
        case .query(let text, var parameters):
            parameters.values = try parameters.values.map(raw)
            return .query(text, parameters)
        case .execute(let id, var parameters):
            parameters.values = try parameters.values.map(raw)
            return .execute(id: id, parameters)
        case .batch(var batch):
            batch.statements = try batch.statements.map { statement in
                var statement = statement
                statement.values = try statement.values.map(raw)
                return statement
            }
            return .batch(batch)
        default: return request
        }
    }

    nonisolated(unsafe) static let errors: [(CQLServerError, [String: Any])] = [
        (.init(code: .serverError, message: "boom"), [:]),
        (.init(code: .protocolError, message: "Invalid or unsupported protocol version (5)"), [:]),
        (.init(code: .authenticationError, message: "Provided username cassandra and/or password are incorrect"), [:]),
        (.init(code: .unavailable, message: "Cannot achieve consistency level LOCAL_QUORUM",
               detail: .unavailable(consistency: .localQuorum, required: 2, alive: 1)),
         ["consistency": 6, "required_replicas": 2, "alive_replicas": 1]),
        (.init(code: .overloaded, message: "overloaded"), [:]),
        (.init(code: .isBootstrapping, message: "bootstrapping"), [:]),
        (.init(code: .truncateError, message: "truncate failed"), [:]),
        (.init(code: .writeTimeout, message: "Operation timed out - received only 1 responses.",
               detail: .writeTimeout(consistency: .localQuorum, received: 1, blockFor: 2, writeType: "UNLOGGED_BATCH")),
         ["consistency": 6, "received_responses": 1, "required_responses": 2, "write_type": 2]),
        (.init(code: .readTimeout, message: "read timed out",
               detail: .readTimeout(consistency: .quorum, received: 1, blockFor: 2, dataPresent: false)),
         ["consistency": 4, "received_responses": 1, "required_responses": 2, "data_retrieved": false]),
        (.init(code: .readFailure, message: "read failed",
               detail: .readFailure(consistency: .one, received: 0, blockFor: 1, failures: 1, dataPresent: true)),
         ["consistency": 1, "received_responses": 0, "required_responses": 1, "failures": 1, "data_retrieved": true]),
        (.init(code: .functionFailure, message: "udf failed",
               detail: .functionFailure(keyspace: "p1", function: "f", argumentTypes: ["int", "text"])),
         ["keyspace": "p1", "function": "f", "arg_types": ["int", "text"]]),
        (.init(code: .writeFailure, message: "write failed",
               detail: .writeFailure(consistency: .all, received: 2, blockFor: 3, failures: 1, writeType: "SIMPLE")),
         ["consistency": 5, "received_responses": 2, "required_responses": 3, "failures": 1, "write_type": 0]),
        (.init(code: .syntaxError, message: "line 1:0 no viable alternative"), [:]),
        (.init(code: .unauthorized, message: "User x has no SELECT permission"), [:]),
        (.init(code: .invalid, message: "unconfigured table readingz"), [:]),
        (.init(code: .configError, message: "bad config"), [:]),
        (.init(code: .alreadyExists, message: "Table p1.readings already exists",
               detail: .alreadyExists(keyspace: "p1", table: "readings")), ["keyspace": "p1", "table": "readings"]),
        (.init(code: .unprepared, message: "Prepared query with ID cafe not found", detail: .unprepared(id: [0xCA, 0xFE])), [:]),
    ]

    /// A canonical JSON text of a JSON-like value, to compare answers whatever their bridging.
    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    static let rowColumns: [CQLColumnSpec] = [
        ("gateway", CQLDataType.varchar), ("at", .timestamp), ("day", .date), ("power", .double), ("n", .bigint),
        ("i", .int), ("ok", .boolean), ("raw", .blob), ("tags", .list(.varchar)),
    ].map { CQLColumnSpec(keyspace: "p1", table: "readings", name: $0.0, type: $0.1) }

    @Test func responsesWeEncodeAreDecodedByTheDriver() async throws {
        var responses: [CQLResponse] = Self.errors.map { .error($0.0) }
        responses += [
            .ready, .authenticate("org.apache.cassandra.auth.PasswordAuthenticator"),
            .supported(["CQL_VERSION": ["3.4.5"], "COMPRESSION": ["lz4", "snappy"]]),
            .authSuccess(Array("done".utf8)), .authChallenge([1, 2, 3]),
            .result(.void), .result(.setKeyspace("p1")),
            .result(.rows(CQLRows(columns: Self.rowColumns, rows: [
                [.text("gw-1"), .timestamp(1_764_065_700_123), .date(20_417), .double(-12.25), .bigint(1 << 40),
                 .int(7), .boolean(false), .blob([0xAB]), .list([.text("x")])],
                [.text("gw-2"), .null, .null, .null, .null, .null, .null, .null, .null],
            ], pagingState: [0xDE, 0xAD]))),
            .result(.prepared(CQLPrepared(
                id: [1, 2, 3, 4], bindMarkers: Array(Self.rowColumns.prefix(3)), partitionKeyIndexes: [0, 2],
                resultColumns: [Self.rowColumns[1]]))),
            .result(.schemaChange(CQLSchemaChange(change: "CREATED", target: "KEYSPACE", keyspace: "p1"))),
            .result(.schemaChange(CQLSchemaChange(change: "UPDATED", target: "TABLE", keyspace: "p1", name: "readings"))),
            .result(.schemaChange(CQLSchemaChange(change: "DROPPED", target: "FUNCTION", keyspace: "p1", name: "f", argumentTypes: ["int"]))),
        ]
        let answers = try await PythonDriver.run(responses.enumerated().map { index, response in
            ["op": "decode_response", "hex": Self.frameBytes(try! response.frame(stream: Int16(index))).hex]
        })
        for (index, (response, answer)) in zip(responses, answers).enumerated() {
            #expect(answer["error"] == nil, "driver could not decode \(response): \(answer)")
            #expect(answer["stream"] as? Int == index)
            switch response {
            case .error(let error):
                #expect(answer["code"] as? Int == Int(error.code.rawValue))
                #expect(answer["message"] as? String == error.message)
                let expected = Self.errors[index].1
                if case .unprepared(let id) = error.detail {
                    #expect(answer["info"] as? String == id.hex)
                } else if !expected.isEmpty {
                    let info = try #require(answer["info"] as? [String: Any])
                    for (key, value) in expected {
                        #expect(try Self.json(info[key] ?? NSNull()) == (try Self.json(value)), "\(error.code) \(key)")
                    }
                }
            case .ready: #expect(answer["class"] as? String == "ReadyMessage")
            case .authenticate(let name): #expect(answer["authenticator"] as? String == name)
            case .supported:
                #expect(answer["cql_versions"] as? [String] == ["3.4.5"])
                #expect((answer["options"] as? [String: [String]])?["COMPRESSION"] == ["lz4", "snappy"])
            case .authSuccess: #expect(answer["token"] as? String == "done")
            case .authChallenge: #expect(answer["challenge"] as? String == "010203")
            case .result(.void): #expect(answer["kind"] as? Int == 1)
            case .result(.setKeyspace): #expect(answer["keyspace"] as? String == "p1")
            case .result(.rows):
                #expect(answer["columns"] as? [String] == Self.rowColumns.map(\.name))
                #expect(answer["types"] as? [String] == ["varchar", "timestamp", "date", "double", "bigint", "int", "boolean", "blob", "list<varchar>"])
                #expect(answer["paging_state"] as? String == "dead")
                let rows = try #require(answer["rows"] as? [[Any]])
                let expected: [Any] = [
                    "gw-1", ["timestamp": 1_764_065_700_123], ["date": 20_417], ["double": -12.25], 1 << 40, 7, false,
                    ["blob": "ab"], ["x"],
                ]
                #expect(try Self.json(rows[0]) == (try Self.json(expected)))
                #expect(rows[1].dropFirst().allSatisfy { $0 is NSNull })
            case .result(.prepared):
                #expect(answer["id"] as? String == "01020304")
                #expect(answer["pk_indexes"] as? [Int] == [0, 2])
                let bind = try #require(answer["bind"] as? [[String]])
                #expect(bind == [["p1", "readings", "gateway", "varchar"], ["p1", "readings", "at", "timestamp"], ["p1", "readings", "day", "date"]])
                #expect(answer["result_columns"] as? [String] == ["at"])
            case .result(.schemaChange(let change)):
                let event = try #require(answer["event"] as? [String: Any])
                #expect(event["change_type"] as? String == change.change)
                #expect(event["target_type"] as? String == change.target)
                #expect(event["keyspace"] as? String == change.keyspace)
            default: Issue.record("unexpected case \(response)")
            }
        }
    }

    @Test func serverMessagesPackedFromTheSpecDecode() async throws {
        var cases: [([String: Any], CQLResponse)] = [
            (["kind": "ready"], .ready),
            (["kind": "authenticate", "authenticator": "org.apache.cassandra.auth.PasswordAuthenticator"],
             .authenticate("org.apache.cassandra.auth.PasswordAuthenticator")),
            (["kind": "auth_success"], .authSuccess(nil)),
            (["kind": "auth_challenge", "token": "0a0b"], .authChallenge([10, 11])),
            (["kind": "supported", "options": ["CQL_VERSION": ["3.4.7"], "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5"]]],
             .supported(["CQL_VERSION": ["3.4.7"], "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5"]])),
            (["kind": "void", "warnings": ["Unlogged batch covering 3 partitions"]], .result(.void)),
            (["kind": "set_keyspace", "keyspace": "p1"], .result(.setKeyspace("p1"))),
            (["kind": "schema_change", "strings": ["CREATED", "TABLE", "p1", "readings"]],
             .result(.schemaChange(.init(change: "CREATED", target: "TABLE", keyspace: "p1", name: "readings")))),
            (["kind": "schema_change", "strings": ["CREATED", "AGGREGATE", "p1", "agg"], "argument_types": ["double"]],
             .result(.schemaChange(.init(change: "CREATED", target: "AGGREGATE", keyspace: "p1", name: "agg", argumentTypes: ["double"])))),
            (["kind": "rows", "keyspace": "p1", "table": "readings", "paging_state": "00ff",
              "columns": [["sensor", "text"], ["at", "timestamp"], ["day", "date"], ["power", "double"], ["n", "bigint"],
                          ["i", "int"], ["ok", "boolean"], ["raw", "blob"], ["tags", "list_text"]],
              "rows": [["inv-1", 1_764_065_700_123, 20_417, 1834.5, 5, -1, true, "beef", ["a", "b"]],
                       ["inv-2", 0, -1, -0.5, NSNull(), NSNull(), NSNull(), NSNull(), NSNull()] as [Any]]],
             .result(.rows(CQLRows(
                columns: [("sensor", CQLDataType.varchar), ("at", .timestamp), ("day", .date), ("power", .double), ("n", .bigint),
                          ("i", .int), ("ok", .boolean), ("raw", .blob), ("tags", .list(.varchar))]
                    .map { CQLColumnSpec(keyspace: "p1", table: "readings", name: $0.0, type: $0.1) },
                rows: [[.text("inv-1"), .timestamp(1_764_065_700_123), .date(20_417), .double(1834.5), .bigint(5), .int(-1),
                        .boolean(true), .blob([0xBE, 0xEF]), .list([.text("a"), .text("b")])],
                       [.text("inv-2"), .timestamp(0), .date(-1), .double(-0.5), .null, .null, .null, .null, .null]],
                pagingState: [0, 0xFF])))),
            (["kind": "prepared", "id": "c0ffee", "keyspace": "p1", "table": "readings", "pk_indexes": [0, 1, 2],
              "bind": [["gateway", "text"], ["sensor", "text"], ["day", "date"], ["at", "timestamp"]]],
             .result(.prepared(CQLPrepared(
                id: [0xC0, 0xFF, 0xEE],
                bindMarkers: [("gateway", CQLDataType.varchar), ("sensor", .varchar), ("day", .date), ("at", .timestamp)]
                    .map { CQLColumnSpec(keyspace: "p1", table: "readings", name: $0.0, type: $0.1) },
                partitionKeyIndexes: [0, 1, 2])))),
        ]
        // Every error code, with its detail laid out field by field as section 9 lists it.
        let errorDetails: [(CQLServerError, [[Any]])] = [
            (Self.errors[3].0, [["short", 6], ["int", 2], ["int", 1]]),
            (Self.errors[7].0, [["short", 6], ["int", 1], ["int", 2], ["string", "UNLOGGED_BATCH"]]),
            (Self.errors[8].0, [["short", 4], ["int", 1], ["int", 2], ["byte", 0]]),
            (Self.errors[9].0, [["short", 1], ["int", 0], ["int", 1], ["int", 1], ["byte", 1]]),
            (Self.errors[10].0, [["string", "p1"], ["string", "f"], ["string_list", ["int", "text"]]]),
            (Self.errors[11].0, [["short", 5], ["int", 2], ["int", 3], ["int", 1], ["string", "SIMPLE"]]),
            (Self.errors[16].0, [["string", "p1"], ["string", "readings"]]),
            (Self.errors[17].0, [["short_bytes", "cafe"]]),
        ]
        for error in Self.errors.map(\.0) where error.detail == .none {
            cases.append((["kind": "error", "code": Int(error.code.rawValue), "message": error.message], .error(error)))
        }
        for (error, detail) in errorDetails {
            cases.append((["kind": "error", "code": Int(error.code.rawValue), "message": error.message, "detail": detail], .error(error)))
        }
        cases.append((["kind": "error", "code": 0x7777, "message": "from the future"],
                      .error(.init(code: .init(rawValue: 0x7777), message: "from the future"))))
        let answers = try await PythonDriver.run(cases.enumerated().map { ["op": "spec_response", "message": $0.element.0, "stream": $0.offset] })
        for (index, ((spec, expected), answer)) in zip(cases, answers).enumerated() {
            let hex = try #require(answer["hex"] as? String, "helper failed: \(answer)")
            let frame = try Self.decodeFrame(hex)
            #expect(frame.isResponse)
            #expect(frame.stream == Int16(index))
            let decoded = try CQLResponse.decode(opcode: frame.opcode, flags: frame.flags, body: frame.body)
            #expect(decoded.response == expected, "\(spec)")
            #expect(decoded.warnings == (spec["warnings"] as? [String] ?? []))
        }
    }
}
