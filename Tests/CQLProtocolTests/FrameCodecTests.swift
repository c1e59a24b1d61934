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
