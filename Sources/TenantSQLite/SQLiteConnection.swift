import CSQLite

/// A thin, safe wrapper over one `sqlite3*` handle. Not thread-safe on its own:
/// ``SQLiteDatabase`` confines each connection to one serial queue.
public final class SQLiteConnection {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    /// The file this connection opened.
    public let path: String

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        self.handle = db
        self.path = path
        sqlite3_busy_timeout(db, 5_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        statements.values.forEach { $0.finalize() }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message)
        }
    }

    /// A prepared statement for `sql`, cached for the life of the connection.
    /// Bindings are cleared and the statement reset before it is handed out.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw SQLiteError(code: rc, message: "\(lastErrorMessage) in: \(sql)") }
        let statement = SQLiteStatement(raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `bindings` and returns every row.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> [SQLiteRow] {
        let statement = try statement(sql)
        try statement.bind(bindings)
        var rows: [SQLiteRow] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs `sql` with `bindings` and hands each row to `body` as it is stepped, holding one
    /// row at a time (for scans too large to collect).
    public func forEachRow(_ sql: String, _ bindings: [SQLiteValue] = [], _ body: (SQLiteRow) throws -> Void) throws {
        let statement = try statement(sql)
        try statement.bind(bindings)
        while try statement.step() { try body(statement.row()) }
    }

    /// Runs `sql` with `bindings`, ignoring any rows, and returns the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        let statement = try statement(sql)
        try statement.bind(bindings)
        while try statement.step() {}
        return changes
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE, so writers queue instead of failing
    /// halfway); commits if it returns, rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in one read transaction: every query sees the same snapshot, and the
    /// WAL read lock is taken once instead of once per statement (a dashboard over many
    /// gateways runs hundreds of small queries).
    public func snapshot<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN DEFERRED")
        defer { _ = try? run("COMMIT") }
        return try body()
    }

    /// Frees what this connection's page cache holds beyond what is in use.
    public func releaseMemory() { sqlite3_db_release_memory(handle) }

    /// Rows changed by the most recent statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the most recent successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// `PRAGMA user_version`: the schema version migrations move forward.
    public var userVersion: Int {
        get throws(SQLiteError) { try query("PRAGMA user_version").first?.int(0) ?? 0 }
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A value bound to or read from a statement.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }

    /// `.null` for nil, `.real` otherwise.
    public static func real(_ value: Double?) -> SQLiteValue { value.map { .real($0) } ?? .null }
    /// `.null` for nil, `.text` otherwise.
    public static func text(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    /// `.null` for nil, `.integer` otherwise.
    public static func integer(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
}

/// One row of a result, copied out of SQLite.
public struct SQLiteRow: Sendable, Hashable {
    public var values: [SQLiteValue]

    public func int(_ column: Int) -> Int? { int64(column).map { Int($0) } }
    public func int64(_ column: Int) -> Int64? {
        switch values[column] {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value.rounded(.towardZero))
        default: return nil
        }
    }
    public func double(_ column: Int) -> Double? {
        switch values[column] {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }
    public func string(_ column: Int) -> String? {
        if case .text(let value) = values[column] { return value }
        return nil
    }
    public func blob(_ column: Int) -> [UInt8]? {
        if case .blob(let value) = values[column] { return value }
        return nil
    }
}

/// A prepared statement owned by a ``SQLiteConnection``.
public final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    func finalize() { sqlite3_finalize(raw) }

    /// Resets the statement and clears its bindings.
    public func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Binds `values` to parameters 1...n.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
    }

    /// Binds one value to the 1-based parameter `index`.
    public func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(raw, index)
        case .integer(let v): rc = sqlite3_bind_int64(raw, index, v)
        case .real(let v): rc = sqlite3_bind_double(raw, index, v)
        case .text(let v): rc = sqlite3_bind_text(raw, index, v, -1, SQLITE_TRANSIENT_SWIFT)
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT_SWIFT) }
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: connection.lastErrorMessage) }
    }

    /// Advances to the next row; false when done.
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc:
            let error = SQLiteError(code: rc, message: connection.lastErrorMessage)
            sqlite3_reset(raw)
            throw error
        }
    }

    /// The current row, copied.
    public func row() -> SQLiteRow {
        let count = sqlite3_column_count(raw)
        return SQLiteRow(values: (0..<count).map(value(at:)))
    }

    /// Column `index` of the current row.
    public func value(at index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(raw, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(raw, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(raw, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(raw, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(raw, index))
            guard count > 0, let bytes = sqlite3_column_blob(raw, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    /// Column `index` of the current row as an integer (0 for NULL), without copying a row.
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(raw, index) }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
let SQLITE_TRANSIENT_SWIFT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// An error reported by SQLite.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The (extended) result code.
    public let code: Int32
    public let message: String

    public var description: String { "sqlite error \(code): \(message)" }

    /// Whether a UNIQUE or PRIMARY KEY constraint refused the write.
    public var isConstraintViolation: Bool { code & 0xff == SQLITE_CONSTRAINT }
}
