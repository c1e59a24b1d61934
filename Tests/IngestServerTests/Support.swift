import Foundation
import GatewayProtocol
import IngestServer
import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TenantSQLite
import TenantStorage

#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory for one test's database.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The real server on loopback (port 0) over a real SQLite file, inside a ServiceGroup.
final class RunningServer: Sendable {
    let database: SQLiteDatabase
    let server: IngestServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    static func start(
        path: String? = nil, configuration: IngestConfiguration = IngestConfiguration(host: "127.0.0.1", port: 0),
        store: (any ReadingStore)? = nil, metrics: (any MetricsFactory)? = nil
    ) async throws -> RunningServer {
        let path = try path ?? temporaryDirectory().appendingPathComponent("test.db").path
        let database = try SQLiteDatabase(path: path)
        var logger = Logger(label: "ingest-test")
        logger.logLevel = .warning
        let server = IngestServer(
            configuration: configuration, store: store ?? SQLiteReadingStore(database: database),
            gatewayAuth: SQLiteGatewayAuthStore(database: database), logger: logger,
            metricsFactory: metrics ?? MetricsSystem.factory)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task { try await group.run() }
        guard let address = await server.listeningAddress(), let port = address.port else {
            task.cancel()
            throw StorageError("server did not start")
        }
        return RunningServer(database: database, server: server, group: group, task: task, port: port)
    }

    private init(database: SQLiteDatabase, server: IngestServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int) {
        self.database = database
        self.server = server
        self.group = group
        self.task = task
        self.port = port
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    func count(_ sql: String) async throws -> Int {
        try await database.read { db in try db.query(sql).first?.int(0) ?? -1 }
    }
}

/// A blocking line-oriented TCP client for tests (never used on an event loop).
final class LineClient {
    let fd: Int32
    var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw StorageError("connect failed: \(errno)") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)  // a bound on a hang, not on a loaded machine
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// The next reply line, or nil on EOF/timeout.
    func line() -> String? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            pending.append(contentsOf: chunk[..<n])
        }
    }

    /// Whether the server closed the connection (EOF) within the receive timeout.
    func isClosedByServer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return false }
        }
    }
}

func reading(_ sensor: String, power: String = "1.5", at: String = "2026-11-24T10:15:00Z", extra: String = "") -> String {
    "<reading sensor=\"\(sensor)\" at=\"\(at)\" power=\"\(power)\"\(extra)/>"
}
