import NIOCore

/// The `<query_parameters>` of QUERY and EXECUTE (section 4.1.4).
public struct CQLQueryParameters: Sendable, Hashable {
    /// Consistency level of the request.
    public var consistency: CQLConsistency
    /// Positional bound values (names for values are not used by this client).
    public var values: [CQLValue]
    /// Ask the server to leave the rows' metadata out (the caller knows it from PREPARE).
    public var skipMetadata: Bool
    /// Rows per page; nil leaves paging to the server default.
    public var pageSize: Int32?
    /// Where the previous page stopped.
    public var pagingState: [UInt8]?
    /// Consistency of the Paxos phase of conditional updates.
    public var serialConsistency: CQLConsistency?
    /// Client-side default write timestamp, microseconds since the epoch.
    public var defaultTimestamp: Int64?

    public init(
        consistency: CQLConsistency, values: [CQLValue] = [], skipMetadata: Bool = false, pageSize: Int32? = nil,
        pagingState: [UInt8]? = nil, serialConsistency: CQLConsistency? = nil, defaultTimestamp: Int64? = nil
    ) {
        self.consistency = consistency
        self.values = values
        self.skipMetadata = skipMetadata
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }

    static let valuesFlag: UInt8 = 0x01, skipMetadataFlag: UInt8 = 0x02, pageSizeFlag: UInt8 = 0x04
    static let pagingStateFlag: UInt8 = 0x08, serialFlag: UInt8 = 0x10, timestampFlag: UInt8 = 0x20, namesFlag: UInt8 = 0x40

    func write(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        buffer.writeInteger(consistency.rawValue)
        var flags: UInt8 = 0
        if !values.isEmpty { flags |= Self.valuesFlag }
        if skipMetadata { flags |= Self.skipMetadataFlag }
        if pageSize != nil { flags |= Self.pageSizeFlag }
        if pagingState != nil { flags |= Self.pagingStateFlag }
        if serialConsistency != nil { flags |= Self.serialFlag }
        if defaultTimestamp != nil { flags |= Self.timestampFlag }
        buffer.writeInteger(flags)
        if !values.isEmpty {
            guard values.count <= Int(UInt16.max) else { throw CQLProtocolError("\(values.count) bound values exceed 65535") }
            buffer.writeInteger(UInt16(values.count))
            for value in values { try value.write(to: &buffer) }
        }
        if let pageSize { buffer.writeInteger(pageSize) }
        if let pagingState { buffer.writeCQLBytes(pagingState) }
        if let serialConsistency { buffer.writeInteger(serialConsistency.rawValue) }
        if let defaultTimestamp { buffer.writeInteger(defaultTimestamp) }
    }

    static func read(from buffer: inout ByteBuffer) throws(CQLProtocolError) -> CQLQueryParameters {
        var parameters = CQLQueryParameters(consistency: try buffer.readCQLConsistency("consistency"))
        let flags = try buffer.readCQLByte("query flags")
        if flags & Self.valuesFlag != 0 {
            let count = Int(try buffer.readCQLShort("value count"))
            for _ in 0..<count {
                if flags & Self.namesFlag != 0 { _ = try buffer.readCQLString("value name") }
                let length = try buffer.readCQLInt("value")
                switch length {
                case -1: parameters.values.append(.null)
                case -2: parameters.values.append(.unset)
                case ..<(-2): throw CQLProtocolError("invalid [value] length \(length)")
                default:
                    guard let bytes = buffer.readBytes(length: Int(length)) else { throw .truncated("value") }
                    // Unprepared values carry no type; the receiver interprets them.
                    parameters.values.append(.raw(bytes))
                }
            }
        }
        parameters.skipMetadata = flags & Self.skipMetadataFlag != 0
        if flags & Self.pageSizeFlag != 0 { parameters.pageSize = try buffer.readCQLInt("page size") }
        if flags & Self.pagingStateFlag != 0 {
            parameters.pagingState = try buffer.readCQLBytes("paging state") ?? []
        }
        if flags & Self.serialFlag != 0 { parameters.serialConsistency = try buffer.readCQLConsistency("serial consistency") }
        if flags & Self.timestampFlag != 0 { parameters.defaultTimestamp = try buffer.readCQLLong("default timestamp") }
        return parameters
    }
}

/// A batch of statements (section 4.1.7).
public struct CQLBatch: Sendable, Hashable {
    /// Logged batches are atomic across partitions (via the batch log); unlogged ones skip it.
    public enum Kind: UInt8, Sendable, Hashable {
        case logged = 0, unlogged = 1, counter = 2
    }

    /// One statement of a batch: CQL text or a prepared id, with its positional values.
    public struct Statement: Sendable, Hashable {
        /// CQL text, or the id of a prepared statement.
        public enum Query: Sendable, Hashable {
            case text(String)
            case prepared(id: [UInt8])
        }
        /// What to run.
        public var query: Query
        /// Its positional bound values.
        public var values: [CQLValue]
        /// A statement running `query` with `values`.
        public init(query: Query, values: [CQLValue]) {
            self.query = query
            self.values = values
        }
    }

    /// Logged, unlogged or counter.
    public var kind: Kind
    /// The statements, applied together.
    public var statements: [Statement]
    /// Consistency level of the batch.
    public var consistency: CQLConsistency
    /// Consistency of the Paxos phase of conditional statements.
    public var serialConsistency: CQLConsistency?
    /// Client-side default write timestamp, microseconds since the epoch.
    public var defaultTimestamp: Int64?

    public init(
        kind: Kind, statements: [Statement], consistency: CQLConsistency,
        serialConsistency: CQLConsistency? = nil, defaultTimestamp: Int64? = nil
    ) {
        self.kind = kind
        self.statements = statements
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }
}

/// A client-to-server message (section 4.1), with its body codec.
public enum CQLRequest: Sendable, Hashable {
    /// STARTUP with its options; `CQL_VERSION` is mandatory.
    case startup([String: String])
    /// AUTH_RESPONSE with a SASL token.
    case authResponse([UInt8]?)
    case options
    case query(String, CQLQueryParameters)
    case prepare(String)
    case execute(id: [UInt8], CQLQueryParameters)
    case batch(CQLBatch)
    case register([String])

    /// The STARTUP this client sends: CQL 3.0.0, no compression.
    public static let defaultStartup = CQLRequest.startup(["CQL_VERSION": "3.0.0"])

    /// The SASL PLAIN initial response of Cassandra's PasswordAuthenticator: `\0user\0password`.
    public static func plainAuthResponse(username: String, password: String) -> CQLRequest {
        .authResponse([0] + Array(username.utf8) + [0] + Array(password.utf8))
    }

    /// The opcode of this message's frame.
    public var opcode: CQLOpcode {
        switch self {
        case .startup: .startup
        case .authResponse: .authResponse
        case .options: .options
        case .query: .query
        case .prepare: .prepare
        case .execute: .execute
        case .batch: .batch
        case .register: .register
        }
    }

    /// Writes the body of this message.
    public func writeBody(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        switch self {
        case .startup(let options): try buffer.writeCQLStringMap(options)
        case .authResponse(let token): buffer.writeCQLBytes(token)
        case .options: break
        case .query(let text, let parameters):
            buffer.writeCQLLongString(text)
            try parameters.write(to: &buffer)
        case .prepare(let text): buffer.writeCQLLongString(text)
        case .execute(let id, let parameters):
            try buffer.writeCQLShortBytes(id)
            try parameters.write(to: &buffer)
        case .batch(let batch):
            buffer.writeInteger(batch.kind.rawValue)
            guard batch.statements.count <= Int(UInt16.max) else {
                throw CQLProtocolError("batch of \(batch.statements.count) statements exceeds 65535")
            }
            buffer.writeInteger(UInt16(batch.statements.count))
            for statement in batch.statements {
                switch statement.query {
                case .text(let text):
                    buffer.writeInteger(UInt8(0))
                    buffer.writeCQLLongString(text)
                case .prepared(let id):
                    buffer.writeInteger(UInt8(1))
                    try buffer.writeCQLShortBytes(id)
                }
                buffer.writeInteger(UInt16(statement.values.count))
                for value in statement.values { try value.write(to: &buffer) }
            }
            buffer.writeInteger(batch.consistency.rawValue)
            var flags: UInt8 = 0
            if batch.serialConsistency != nil { flags |= CQLQueryParameters.serialFlag }
            if batch.defaultTimestamp != nil { flags |= CQLQueryParameters.timestampFlag }
            buffer.writeInteger(flags)
            if let serial = batch.serialConsistency { buffer.writeInteger(serial.rawValue) }
            if let timestamp = batch.defaultTimestamp { buffer.writeInteger(timestamp) }
        case .register(let events): try buffer.writeCQLStringList(events)
        }
    }

    /// A whole request frame on `stream`.
    public func frame(stream: Int16, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(CQLProtocolError) -> CQLFrame {
        var body = allocator.buffer(capacity: 64)
        try writeBody(to: &body)
        return CQLFrame(isResponse: false, stream: stream, opcode: opcode, body: body)
    }

    /// Decodes a request body (what a server, or a test's fake server, receives). Bound values
    /// come back as ``CQLValue/raw(_:)``: only the prepared statement knows their types.
    public static func decode(opcode: CQLOpcode, body: ByteBuffer) throws(CQLProtocolError) -> CQLRequest {
        var body = body
        switch opcode {
        case .startup: return .startup(try body.readCQLStringMap("startup options"))
        case .authResponse: return .authResponse(try body.readCQLBytes("auth token"))
        case .options: return .options
        case .query:
            let text = try body.readCQLLongString("query string")
            return .query(text, try CQLQueryParameters.read(from: &body))
        case .prepare: return .prepare(try body.readCQLLongString("query string"))
        case .execute:
            let id = try body.readCQLShortBytes("prepared id")
            return .execute(id: id, try CQLQueryParameters.read(from: &body))
        case .batch:
            guard let kind = CQLBatch.Kind(rawValue: try body.readCQLByte("batch type")) else {
                throw CQLProtocolError("unknown batch type")
            }
            let count = Int(try body.readCQLShort("batch size"))
            var statements: [CQLBatch.Statement] = []
            for _ in 0..<count {
                let query: CQLBatch.Statement.Query
                switch try body.readCQLByte("batch statement kind") {
                case 0: query = .text(try body.readCQLLongString("batch query"))
                case 1: query = .prepared(id: try body.readCQLShortBytes("batch prepared id"))
                case let other: throw CQLProtocolError("unknown batch statement kind \(other)")
                }
                let valueCount = Int(try body.readCQLShort("batch value count"))
                var values: [CQLValue] = []
                for _ in 0..<valueCount {
                    let length = try body.readCQLInt("batch value")
                    if length == -1 { values.append(.null); continue }
                    if length == -2 { values.append(.unset); continue }
                    guard length >= 0, let bytes = body.readBytes(length: Int(length)) else { throw .truncated("batch value") }
                    values.append(.raw(bytes))
                }
                statements.append(.init(query: query, values: values))
            }
            let consistency = try body.readCQLConsistency("batch consistency")
            let flags = try body.readCQLByte("batch flags")
            var batch = CQLBatch(kind: kind, statements: statements, consistency: consistency)
            if flags & CQLQueryParameters.serialFlag != 0 {
                batch.serialConsistency = try body.readCQLConsistency("batch serial consistency")
            }
            if flags & CQLQueryParameters.timestampFlag != 0 { batch.defaultTimestamp = try body.readCQLLong("batch timestamp") }
            return .batch(batch)
        case .register: return .register(try body.readCQLStringList("event types"))
        default: throw CQLProtocolError("opcode \(opcode) is not a request")
        }
    }
}
