import CQLProtocol
import NIOCore
import NIOTestUtils
import Testing

@Suite struct FrameCodecTests {
    static func frames() throws -> [CQLFrame] {
        [
            try CQLRequest.defaultStartup.frame(stream: 0),
            try CQLRequest.query("SELECT 1", .init(consistency: .one, values: [.int(1), .null])).frame(stream: 32767),
            try CQLResponse.result(.void).frame(stream: 5),
            CQLFrame(isResponse: true, stream: -1, opcode: .ready, body: ByteBuffer()),
        ]
    }

    /// Frames split at every byte boundary, or many per read, decode the same.
    @Test func decoderHandlesAnySegmentation() throws {
        let pairs = try Self.frames().map { frame -> (ByteBuffer, [CQLFrame]) in
            var buffer = ByteBuffer()
            frame.write(to: &buffer)
            return (buffer, [frame])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { CQLFrameDecoder() }
    }

    @Test func rejectsOtherVersionsUnknownOpcodesAndHugeBodies() throws {
        for header: [UInt8] in [
            [0x85, 0, 0, 0, 0x02, 0, 0, 0, 0],  // v5
            [0x03, 0, 0, 0, 0x07, 0, 0, 0, 0],  // v3
            [0x84, 0, 0, 0, 0x04, 0, 0, 0, 0],  // no opcode 0x04 in v4
            [0x84, 0, 0, 0, 0x08, 0x7F, 0xFF, 0xFF, 0xFF],  // 2 GiB body
            [0x84, 0, 0, 0, 0x08, 0xFF, 0xFF, 0xFF, 0xFF],  // negative length
        ] {
            var buffer = ByteBuffer(bytes: header)
            #expect(throws: CQLProtocolError.self) { try CQLFrame.read(from: &buffer) }
        }
        var short = ByteBuffer(bytes: [0x84, 0, 0, 1, 0x08, 0, 0, 0, 4, 0, 0])
        #expect(try CQLFrame.read(from: &short) == nil)
        #expect(short.readableBytes == 11, "nothing is consumed until the whole frame is there")
    }

    /// Every strict prefix of a valid body is an error (never a crash, never a wrong message).
    @Test func truncatedBodiesThrow() throws {
        let responses: [CQLResponse] = [
            .error(.init(code: .writeTimeout, message: "t", detail: .writeTimeout(consistency: .one, received: 0, blockFor: 1, writeType: "SIMPLE"))),
            .result(.rows(CQLRows(
                columns: [CQLColumnSpec(keyspace: "k", table: "t", name: "a", type: .map(.varchar, .list(.bigint)))],
                rows: [[.map([.init(key: .text("x"), value: .list([.bigint(1)]))])]], pagingState: [1]))),
            .result(.prepared(CQLPrepared(id: [1], bindMarkers: [CQLColumnSpec(keyspace: "k", table: "t", name: "a", type: .date)], partitionKeyIndexes: [0]))),
            .supported(["CQL_VERSION": ["3.4.7"]]),
        ]
        for response in responses {
            let frame = try response.frame(stream: 1)
            let bytes = frame.body.getBytes(at: frame.body.readerIndex, length: frame.body.readableBytes)!
            #expect(try CQLResponse.decode(opcode: frame.opcode, flags: [], body: frame.body).response == response)
            for cut in 0..<bytes.count {
                #expect(throws: CQLProtocolError.self, "\(response.opcode) cut at \(cut)") {
                    _ = try CQLResponse.decode(opcode: frame.opcode, flags: [], body: ByteBuffer(bytes: bytes[..<cut]))
                }
            }
        }
    }

    /// Random corruption of valid frames: decoding throws or succeeds, never traps or hangs.
    @Test func corruptedFramesNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        let samples: [CQLFrame] = try [
            CQLResponse.result(.rows(CQLRows(
                columns: [CQLColumnSpec(keyspace: "k", table: "t", name: "a", type: .map(.varchar, .list(.bigint))),
                          CQLColumnSpec(keyspace: "k", table: "t", name: "b", type: .udt(keyspace: "k", name: "u", fields: [.init(name: "f", type: .date)]))],
                rows: [[.map([.init(key: .text("x"), value: .list([.bigint(1)]))]), .raw([0, 0, 0, 4, 0x80, 0, 0, 1])]],
                pagingState: [1]))).frame(stream: 1),
            CQLResponse.result(.prepared(CQLPrepared(id: [1, 2], bindMarkers: [CQLColumnSpec(keyspace: "k", table: "t", name: "a", type: .tuple([.int, .varchar]))],
                                                     partitionKeyIndexes: [0], resultColumns: [CQLColumnSpec(keyspace: "k", table: "t", name: "a", type: .set(.uuid))]))).frame(stream: 2),
            CQLResponse.error(.init(code: .readFailure, message: "m", detail: .readFailure(consistency: .one, received: 1, blockFor: 2, failures: 1, dataPresent: true))).frame(stream: 3),
            CQLResponse.result(.schemaChange(.init(change: "CREATED", target: "FUNCTION", keyspace: "k", name: "f", argumentTypes: ["int"]))).frame(stream: 4),
        ]
        for sample in samples {
            let body = sample.body.getBytes(at: sample.body.readerIndex, length: sample.body.readableBytes)!
            for _ in 0..<2000 {
                var mutated = body
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                for flags: CQLFrameFlags in [[], [.warning]] {
                    _ = try? CQLResponse.decode(opcode: sample.opcode, flags: flags, body: ByteBuffer(bytes: mutated))
                }
                _ = try? CQLRequest.decode(opcode: [.query, .execute, .batch, .startup].randomElement(using: &generator)!, body: ByteBuffer(bytes: mutated))
            }
        }
        // The case that used to be able to spin: rows with zero columns and a huge row count.
        var hostile = ByteBuffer()
        hostile.writeInteger(Int32(2)); hostile.writeInteger(Int32(4)); hostile.writeInteger(Int32(0)); hostile.writeInteger(Int32.max)
        #expect(throws: CQLProtocolError.self) { try CQLResponse.decode(opcode: .result, flags: [], body: hostile) }
    }

    @Test(arguments: [
        CQLValue.text(""), .text("ä"), .bigint(.min), .int(.max), .smallint(-2), .tinyint(-128), .double(.infinity),
        .float(1.5), .boolean(false), .blob([]), .timestamp(0), .date(.min), .date(.max), .time(86_399_999_999_999),
        .uuid(Array(0..<16)), .set([.int(1), .int(2)]), .map([.init(key: .text("k"), value: .null)]),
    ])
    func valuesRoundTrip(value: CQLValue) throws {
        let type: CQLDataType = switch value {
        case .text: .varchar
        case .bigint: .bigint
        case .int: .int
        case .smallint: .smallint
        case .tinyint: .tinyint
        case .double: .double
        case .float: .float
        case .boolean: .boolean
        case .blob: .blob
        case .timestamp: .timestamp
        case .date: .date
        case .time: .time
        case .uuid: .uuid
        case .set: .set(.int)
        case .map: .map(.varchar, .int)
        default: .blob
        }
        var buffer = ByteBuffer()
        try value.write(to: &buffer)
        let length = buffer.readInteger(as: Int32.self)!
        #expect(Int(length) == buffer.readableBytes)
        #expect(try CQLValue.decode(buffer, as: type) == value)
    }

    /// Rows sent without metadata (Skip_metadata) decode with the columns PREPARE returned.
    @Test func rowsWithoutMetadataUseThePreparedColumns() throws {
        var body = ByteBuffer()
        body.writeInteger(Int32(2))  // Rows
        body.writeInteger(Int32(0x0004 | 0x0002))  // No_metadata, Has_more_pages
        body.writeInteger(Int32(2))  // columns
        body.writeInteger(Int32(1)); body.writeInteger(UInt8(9))  // paging state [9]
        body.writeInteger(Int32(1))  // one row
        body.writeInteger(Int32(8)); body.writeInteger(Int64(1_764_065_700_000))
        body.writeInteger(Int32(-1))
        let columns = [CQLColumnSpec(keyspace: "k", table: "t", name: "at", type: .timestamp),
                       CQLColumnSpec(keyspace: "k", table: "t", name: "power", type: .double)]
        let decoded = try CQLResponse.decode(opcode: .result, flags: [], body: body, resultColumns: columns)
        #expect(decoded.response == .result(.rows(CQLRows(columns: columns, rows: [[.timestamp(1_764_065_700_000), .null]], pagingState: [9]))))
        let untyped = try CQLResponse.decode(opcode: .result, flags: [], body: body)
        guard case .result(.rows(let rows)) = untyped.response else { Issue.record("not rows"); return }
        #expect(rows.rows == [[.blob(withUnsafeBytes(of: Int64(1_764_065_700_000).bigEndian, Array.init)), .null]])
    }

    @Test func serverErrorsReadWell() {
        let error = CQLServerError(code: .unavailable, message: "Cannot achieve consistency level QUORUM",
                                   detail: .unavailable(consistency: .quorum, required: 2, alive: 1))
        #expect(error.description == "Cassandra unavailable (0x1000): Cannot achieve consistency level QUORUM [consistency QUORUM, 1 of 2 required replicas alive]")
        #expect(error.isTransient)
        #expect(!CQLServerError(code: .syntaxError, message: "x").isTransient)
        #expect(CQLServerError.Code(rawValue: 0x1234).description == "unknown error (0x1234)")
        #expect(CQLConsistency(name: "local_quorum") == .localQuorum)
    }
}
