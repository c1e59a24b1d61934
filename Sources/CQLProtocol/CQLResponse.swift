import NIOCore

/// A column of a result, or a bind marker of a prepared statement.
public struct CQLColumnSpec: Sendable, Hashable {
    /// Keyspace of the column's table.
    public var keyspace: String
    /// The column's table.
    public var table: String
    /// Column, alias or bind-marker name.
    public var name: String
    /// Its type.
    public var type: CQLDataType
    /// A column spec.
    public init(keyspace: String, table: String, name: String, type: CQLDataType) {
        self.keyspace = keyspace
        self.table = table
        self.name = name
        self.type = type
    }
}

/// A `Rows` result (section 4.2.5.2), values decoded by column type.
public struct CQLRows: Sendable, Hashable {
    /// The columns; empty when the request asked to skip metadata and none was supplied.
    public var columns: [CQLColumnSpec]
    /// One array of `columns.count` values per row.
    public var rows: [[CQLValue]]
    /// Present when more pages follow: pass it back to get the next page.
    public var pagingState: [UInt8]?

    public init(columns: [CQLColumnSpec], rows: [[CQLValue]], pagingState: [UInt8]? = nil) {
        self.columns = columns
        self.rows = rows
        self.pagingState = pagingState
    }

    /// The index of the column called `name`.
    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// A `Prepared` result (section 4.2.5.4).
public struct CQLPrepared: Sendable, Hashable {
    /// The statement id, valid on the node that prepared it until it restarts.
    public var id: [UInt8]
    /// The bind markers, in order.
    public var bindMarkers: [CQLColumnSpec]
    /// Indexes of the bind markers that make up the partition key.
    public var partitionKeyIndexes: [UInt16]
    /// The columns an execution returns (empty for non-SELECT statements).
    public var resultColumns: [CQLColumnSpec]

    public init(id: [UInt8], bindMarkers: [CQLColumnSpec], partitionKeyIndexes: [UInt16] = [], resultColumns: [CQLColumnSpec] = []) {
        self.id = id
        self.bindMarkers = bindMarkers
        self.partitionKeyIndexes = partitionKeyIndexes
        self.resultColumns = resultColumns
    }
}

/// A `Schema_change` result or event body (section 4.2.6).
public struct CQLSchemaChange: Sendable, Hashable {
    /// `CREATED`, `UPDATED` or `DROPPED`.
    public var change: String
    /// `KEYSPACE`, `TABLE`, `TYPE`, `FUNCTION` or `AGGREGATE`.
    public var target: String
    public var keyspace: String
    /// The table, type, function or aggregate name (nil for a keyspace).
    public var name: String?
    /// Argument types of a function or aggregate.
    public var argumentTypes: [String]?

    public init(change: String, target: String, keyspace: String, name: String? = nil, argumentTypes: [String]? = nil) {
        self.change = change
        self.target = target
        self.keyspace = keyspace
        self.name = name
        self.argumentTypes = argumentTypes
    }
}

/// The body of a RESULT message.
public enum CQLResult: Sendable, Hashable {
    case void
    case rows(CQLRows)
    case setKeyspace(String)
    case prepared(CQLPrepared)
    case schemaChange(CQLSchemaChange)
}

/// A server-to-client message (section 4.2), with its body codec.
public enum CQLResponse: Sendable, Hashable {
    case error(CQLServerError)
    case ready
    /// AUTHENTICATE with the authenticator's class name.
    case authenticate(String)
    /// SUPPORTED: each STARTUP option with its supported values.
    case supported([String: [String]])
    case result(CQLResult)
    /// An EVENT: its type and the undecoded rest (this client registers for none).
    case event(type: String, body: [UInt8])
    case authChallenge([UInt8]?)
    case authSuccess([UInt8]?)

    /// The opcode of this message's frame.
    public var opcode: CQLOpcode {
        switch self {
        case .error: .error
        case .ready: .ready
        case .authenticate: .authenticate
        case .supported: .supported
        case .result: .result
        case .event: .event
        case .authChallenge: .authChallenge
        case .authSuccess: .authSuccess
        }
    }

    /// A decoded response frame: the message and the frame-level extras that preceded it.
    public struct Decoded: Sendable, Hashable {
        /// The message.
        public var response: CQLResponse
        /// Server warnings (warning flag).
        public var warnings: [String]
        /// The tracing session id (tracing flag).
        public var tracingID: [UInt8]?
    }

    /// Decodes a response frame's body. `resultColumns` supplies the columns of a `Rows`
    /// result that was requested without metadata (from the statement's PREPARE).
    public static func decode(
        opcode: CQLOpcode, flags: CQLFrameFlags, body: ByteBuffer, resultColumns: [CQLColumnSpec]? = nil
    ) throws(CQLProtocolError) -> Decoded {
        var body = body
        guard !flags.contains(.compression) else {
            throw CQLProtocolError("compressed frame received, but no compression was negotiated")
        }
        var tracingID: [UInt8]?
        var warnings: [String] = []
        if flags.contains(.tracing) {
            guard let id = body.readBytes(length: 16) else { throw .truncated("tracing id") }
            tracingID = id
        }
        if flags.contains(.warning) { warnings = try body.readCQLStringList("warnings") }
        if flags.contains(.customPayload) { _ = try body.readCQLBytesMap("custom payload") }
        let response: CQLResponse
        switch opcode {
        case .error: response = .error(try CQLServerError.read(from: &body))
        case .ready: response = .ready
        case .authenticate: response = .authenticate(try body.readCQLString("authenticator"))
        case .supported: response = .supported(try body.readCQLStringMultimap("supported options"))
        case .result: response = .result(try readResult(from: &body, resultColumns: resultColumns))
        case .event:
            let type = try body.readCQLString("event type")
            response = .event(type: type, body: body.readBytes(length: body.readableBytes) ?? [])
        case .authChallenge: response = .authChallenge(try body.readCQLBytes("auth challenge"))
        case .authSuccess: response = .authSuccess(try body.readCQLBytes("auth success token"))
        default: throw CQLProtocolError("opcode \(opcode) is not a response")
        }
        return Decoded(response: response, warnings: warnings, tracingID: tracingID)
    }

    static let globalTableSpec: Int32 = 0x0001, hasMorePages: Int32 = 0x0002, noMetadata: Int32 = 0x0004

    private static func readResult(from body: inout ByteBuffer, resultColumns: [CQLColumnSpec]?) throws(CQLProtocolError) -> CQLResult {
        switch try body.readCQLInt("result kind") {
        case 0x0001: return .void
        case 0x0002:
            let (metadataColumns, pagingState, columnCount) = try readMetadata(from: &body)
            let columns = metadataColumns ?? resultColumns ?? []
            let rowCount = try body.readCQLInt("row count")
            // Each value takes at least 4 bytes; rows of zero columns take none, so cap those.
            let fits = columnCount == 0 ? rowCount <= 1_000_000 : Int(rowCount) * Int(columnCount) <= body.readableBytes / 4
            guard rowCount >= 0, fits else {
                throw CQLProtocolError("row count \(rowCount) does not fit the frame")
            }
            var rows: [[CQLValue]] = []
            rows.reserveCapacity(Int(rowCount))
            for _ in 0..<rowCount {
                var row: [CQLValue] = []
                row.reserveCapacity(Int(columnCount))
                for column in 0..<Int(columnCount) {
                    let bytes = try body.readCQLBytesSlice("row value")
                    // Without metadata the type is unknown: hand back the bytes.
                    let type = column < columns.count ? columns[column].type : .blob
                    row.append(try CQLValue.decode(bytes, as: type))
                }
                rows.append(row)
            }
            return .rows(CQLRows(columns: columns, rows: rows, pagingState: pagingState))
        case 0x0003: return .setKeyspace(try body.readCQLString("keyspace"))
        case 0x0004:
            let id = try body.readCQLShortBytes("prepared id")
            let flags = try body.readCQLInt("prepared flags")
            let count = try body.readCQLInt("bind marker count")
            let pkCount = try body.readCQLInt("partition key count")
            guard count >= 0, pkCount >= 0, pkCount <= count || count == 0 else {
                throw CQLProtocolError("invalid prepared metadata counts \(count)/\(pkCount)")
            }
            var pkIndexes: [UInt16] = []
            for _ in 0..<pkCount { pkIndexes.append(try body.readCQLShort("partition key index")) }
            let markers = try readColumnSpecs(from: &body, count: count, global: flags & globalTableSpec != 0)
            let (resultColumns, _, _) = try readMetadata(from: &body)
            return .prepared(CQLPrepared(id: id, bindMarkers: markers, partitionKeyIndexes: pkIndexes, resultColumns: resultColumns ?? []))
        case 0x0005: return .schemaChange(try readSchemaChange(from: &body))
        case let kind: throw CQLProtocolError("unknown result kind \(kind)")
        }
    }

    private static func readMetadata(from body: inout ByteBuffer) throws(CQLProtocolError) -> ([CQLColumnSpec]?, [UInt8]?, Int32) {
        let flags = try body.readCQLInt("metadata flags")
        let count = try body.readCQLInt("column count")
        guard count >= 0, count <= 65535 else { throw CQLProtocolError("invalid column count \(count)") }
        var pagingState: [UInt8]?
        if flags & hasMorePages != 0 { pagingState = try body.readCQLBytes("paging state") ?? [] }
        if flags & noMetadata != 0 { return (nil, pagingState, count) }
        return (try readColumnSpecs(from: &body, count: count, global: flags & globalTableSpec != 0), pagingState, count)
    }

    private static func readColumnSpecs(from body: inout ByteBuffer, count: Int32, global: Bool) throws(CQLProtocolError) -> [CQLColumnSpec] {
        var keyspace = "", table = ""
        if global && count > 0 {
            keyspace = try body.readCQLString("keyspace")
            table = try body.readCQLString("table")
        }
        var columns: [CQLColumnSpec] = []
        for _ in 0..<count {
            var columnKeyspace = keyspace, columnTable = table
            if !global {
                columnKeyspace = try body.readCQLString("column keyspace")
                columnTable = try body.readCQLString("column table")
            }
            let name = try body.readCQLString("column name")
            columns.append(CQLColumnSpec(keyspace: columnKeyspace, table: columnTable, name: name, type: try CQLDataType.read(from: &body)))
        }
        return columns
    }

    private static func readSchemaChange(from body: inout ByteBuffer) throws(CQLProtocolError) -> CQLSchemaChange {
        let change = try body.readCQLString("change type")
        let target = try body.readCQLString("change target")
        let keyspace = try body.readCQLString("keyspace")
        var schemaChange = CQLSchemaChange(change: change, target: target, keyspace: keyspace)
        switch target {
        case "KEYSPACE": break
        case "FUNCTION", "AGGREGATE":
            schemaChange.name = try body.readCQLString("function name")
            schemaChange.argumentTypes = try body.readCQLStringList("argument types")
        default: schemaChange.name = try body.readCQLString("object name")
        }
        return schemaChange
    }

    // MARK: encoding (fake servers in tests, and round trips)

    /// Writes the body of this message. Rows are written with full metadata (a global table
    /// spec when every column shares one table).
    public func writeBody(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        switch self {
        case .error(let error): try error.write(to: &buffer)
        case .ready: break
        case .authenticate(let name): try buffer.writeCQLString(name)
        case .supported(let options): try buffer.writeCQLStringMultimap(options)
        case .result(let result): try Self.write(result, to: &buffer)
        case .event(let type, let body):
            try buffer.writeCQLString(type)
            buffer.writeBytes(body)
        case .authChallenge(let token), .authSuccess(let token): buffer.writeCQLBytes(token)
        }
    }

    /// A whole response frame on `stream`.
    public func frame(stream: Int16, flags: CQLFrameFlags = [], allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(CQLProtocolError) -> CQLFrame {
        var body = allocator.buffer(capacity: 64)
        try writeBody(to: &body)
        return CQLFrame(isResponse: true, flags: flags, stream: stream, opcode: opcode, body: body)
    }

    private static func write(_ result: CQLResult, to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        switch result {
        case .void: buffer.writeInteger(Int32(1))
        case .rows(let rows):
            buffer.writeInteger(Int32(2))
            try writeMetadata(rows.columns, pagingState: rows.pagingState, to: &buffer)
            buffer.writeInteger(Int32(rows.rows.count))
            for row in rows.rows {
                guard row.count == rows.columns.count else {
                    throw CQLProtocolError("row of \(row.count) values for \(rows.columns.count) columns")
                }
                for value in row { try value.write(to: &buffer) }
            }
        case .setKeyspace(let keyspace):
            buffer.writeInteger(Int32(3))
            try buffer.writeCQLString(keyspace)
        case .prepared(let prepared):
            buffer.writeInteger(Int32(4))
            try buffer.writeCQLShortBytes(prepared.id)
            let global = sharesOneTable(prepared.bindMarkers)
            buffer.writeInteger(global ? globalTableSpec : 0)
            buffer.writeInteger(Int32(prepared.bindMarkers.count))
            buffer.writeInteger(Int32(prepared.partitionKeyIndexes.count))
            for index in prepared.partitionKeyIndexes { buffer.writeInteger(index) }
            try writeColumnSpecs(prepared.bindMarkers, global: global, to: &buffer)
            try writeMetadata(prepared.resultColumns, pagingState: nil, to: &buffer)
        case .schemaChange(let change):
            buffer.writeInteger(Int32(5))
            try buffer.writeCQLString(change.change)
            try buffer.writeCQLString(change.target)
            try buffer.writeCQLString(change.keyspace)
            if let name = change.name { try buffer.writeCQLString(name) }
            if let types = change.argumentTypes { try buffer.writeCQLStringList(types) }
        }
    }

    private static func sharesOneTable(_ columns: [CQLColumnSpec]) -> Bool {
        guard let first = columns.first else { return false }
        return columns.allSatisfy { $0.keyspace == first.keyspace && $0.table == first.table }
    }

    private static func writeMetadata(_ columns: [CQLColumnSpec], pagingState: [UInt8]?, to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        let global = sharesOneTable(columns)
        var flags: Int32 = global ? globalTableSpec : 0
        if pagingState != nil { flags |= hasMorePages }
        if columns.isEmpty { flags |= noMetadata }
        buffer.writeInteger(flags)
        buffer.writeInteger(Int32(columns.count))
        if let pagingState { buffer.writeCQLBytes(pagingState) }
        if !columns.isEmpty { try writeColumnSpecs(columns, global: global, to: &buffer) }
    }

    private static func writeColumnSpecs(_ columns: [CQLColumnSpec], global: Bool, to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        if global, let first = columns.first {
            try buffer.writeCQLString(first.keyspace)
            try buffer.writeCQLString(first.table)
        }
        for column in columns {
            if !global {
                try buffer.writeCQLString(column.keyspace)
                try buffer.writeCQLString(column.table)
            }
            try buffer.writeCQLString(column.name)
            try column.type.write(to: &buffer)
        }
    }
}
