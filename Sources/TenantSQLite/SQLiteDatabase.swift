import Dispatch
import Synchronization
import TenantStorage

/// How hard a commit tries to reach the disk.
public enum Durability: String, Sendable, CaseIterable {
    /// WAL with `synchronous=NORMAL`: a commit survives a crash of the process or the
    /// container (the WAL is in the OS page cache), but the last commits may be lost if
    /// the machine itself loses power.
    case normal
    /// WAL with `synchronous=FULL`: every commit is fsynced before it returns.
    case full
}

/// One provider's SQLite database file, opened in WAL mode with one writer connection
/// and a few reader connections, each confined to its own serial queue so that the
/// blocking SQLite calls never run on an event loop or the cooperative thread pool.
public final class SQLiteDatabase: @unchecked Sendable {
    // Safety: each connection is touched only on its own queue.
    private let writer: SQLiteConnection
    private let writerQueue: DispatchQueue
    private let readers: [(connection: SQLiteConnection, queue: DispatchQueue)]
    private let nextReader = RoundRobin()
    /// Kept for ``readInBulk(_:)``: reads over every gateway take 100 ms and more, and a
    /// page's own short reads must not queue behind them.
    private let bulkReader: (connection: SQLiteConnection, queue: DispatchQueue)
    /// Write transactions run so far, and how many had run at the last passive checkpoint:
    /// an idle database needs no checkpoint.
    private let writes = Atomic<Int>(0)
    private let writesAtCheckpoint = Atomic<Int>(0)
    /// Rung after every write transaction, so maintenance can sleep while nothing is written.
    public let written = Doorbell()

    /// The database file.
    public let path: String
    /// The durability this database commits with.
    public let durability: Durability

    /// Opens (creating if needed) the database at `path` and migrates its schema
    /// to ``Schema/migrations``' latest version.
    public init(path: String, durability: Durability = .normal, readers readerCount: Int = 2, migrations: [Migration] = Schema.migrations) throws {
        self.path = path
        self.durability = durability
        let writer = try SQLiteConnection(path: path)
        try writer.execute("PRAGMA journal_mode=WAL")
        try writer.execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
        try writer.execute("PRAGMA foreign_keys=ON")
        // Bigger pages between checkpoints: fewer, larger WAL syncs under load.
        try writer.execute("PRAGMA wal_autocheckpoint=4000")
        try Schema.migrate(writer, migrations: migrations)
        self.writer = writer
        self.writerQueue = DispatchQueue(label: "sqlite.writer")
        func reader(_ label: String) throws -> (SQLiteConnection, DispatchQueue) {
            let connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA foreign_keys=ON")
            return (connection, DispatchQueue(label: label))
        }
        self.readers = try (0..<max(1, readerCount)).map { try reader("sqlite.reader.\($0)") }
        self.bulkReader = try reader("sqlite.reader.bulk")
    }

    /// Runs `body` on the writer connection. Writes are serialised: SQLite allows one writer.
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        defer {
            writes.add(1, ordering: .relaxed)
            written.ring()
        }
        return try await run(on: writerQueue, writer, body)
    }

    /// Runs `body` on one of the reader connections, in one read transaction: all its
    /// queries see the same committed state, and readers never wait for the writer (WAL).
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let reader = readers[nextReader.next(readers.count)]
        return try await run(on: reader.queue, reader.connection) { connection in
            try connection.snapshot { try body(connection) }
        }
    }

    /// ``read(_:)`` on the reader kept for long reads over every gateway (the dashboard's
    /// figures, alert passes): they queue behind each other, never in front of a page's reads.
    public func readInBulk<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await run(on: bulkReader.queue, bulkReader.connection) { connection in
            try connection.snapshot { try body(connection) }
        }
    }

    /// A passive checkpoint from a reader connection: copies committed WAL pages into the
    /// database file beside the writer's commits (outside any transaction, which would
    /// make SQLite refuse it).
    public func checkpointPassively() async throws {
        writesAtCheckpoint.store(writes.load(ordering: .relaxed), ordering: .relaxed)
        let reader = readers[nextReader.next(readers.count)]
        try await run(on: reader.queue, reader.connection) { connection in
            try connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        }
    }

    /// ``checkpointPassively()`` if anything was written since the last one; returns whether
    /// it ran. Lets a maintenance loop back off while the database is idle.
    public func checkpointPassivelyIfWritten() async throws -> Bool {
        guard writes.load(ordering: .relaxed) != writesAtCheckpoint.load(ordering: .relaxed) else { return false }
        try await checkpointPassively()
        return true
    }

    /// Empties every connection's page cache (each on its own queue); SQLite refills it on demand.
    public func releaseMemory() async {
        _ = try? await run(on: writerQueue, writer) { $0.releaseMemory() }
        for reader in readers + [bulkReader] { _ = try? await run(on: reader.queue, reader.connection) { $0.releaseMemory() } }
    }

    private func run<T: Sendable>(
        on queue: DispatchQueue, _ connection: SQLiteConnection,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T
    ) async throws -> T {
        let box = UncheckedBox(connection)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(box.value) })
            }
        }
    }
}

/// A migration step: SQL run once, in order, tracked by `PRAGMA user_version`.
public struct Migration: Sendable {
    public let version: Int
    public let sql: String
    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

private final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

private final class RoundRobin: @unchecked Sendable {
    private var counter = 0
    private let lock = DispatchQueue(label: "sqlite.round-robin")
    func next(_ count: Int) -> Int {
        lock.sync {
            counter &+= 1
            return counter % count
        }
    }
}
