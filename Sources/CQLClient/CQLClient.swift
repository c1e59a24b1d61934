import CQLProtocol
import Logging
import NIOCore
import NIOPosix

/// How a ``CQLClient`` connects and how long it waits.
public struct CQLClientConfiguration: Sendable {
    /// Nodes to connect to; requests spread over the ones that answer.
    public var contactPoints: [CQLEndpoint]
    /// For `PasswordAuthenticator`; nil when the cluster allows anonymous access.
    public var credentials: CQLCredentials?
    /// Connections opened per node, on demand.
    public var connectionsPerHost: Int = 2
    /// Concurrent requests per connection (stream ids in use), 1...32768.
    public var maxInFlightPerConnection: Int = 1024
    /// Bounds the TCP connect plus STARTUP/authentication.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// Bounds every request, from write to response.
    public var requestTimeout: TimeAmount = .seconds(12)
    /// First wait before reconnecting to a node that failed; doubles per failure.
    public var reconnectBaseDelay: TimeAmount = .milliseconds(200)
    /// Longest wait between reconnection attempts.
    public var reconnectMaxDelay: TimeAmount = .seconds(30)

    /// Defaults for everything but the nodes and credentials.
    public init(contactPoints: [CQLEndpoint], credentials: CQLCredentials? = nil) {
        self.contactPoints = contactPoints
        self.credentials = credentials
    }
}

/// A prepared statement: its CQL, current id and bind markers.
public struct CQLPreparedStatement: Sendable, Hashable {
    /// The CQL text (the cache key; re-prepared by text).
    public var query: String
    /// The server's answer to PREPARE.
    public var prepared: CQLPrepared
}

/// A small pooled CQL client: several contact points, a few connections per node,
/// per-request timeouts, reconnection with exponential backoff, prepared statements that
/// are re-prepared when a node has forgotten them (UNPREPARED), and paging.
///
/// It does not retry requests that reached a server: for writes the caller decides
/// (CQL writes without conditions are idempotent, so the store above simply retries).
public actor CQLClient {
    private struct Host {
        var endpoint: CQLEndpoint
        var connections: [CQLConnection] = []
        var connecting: Task<CQLConnection, any Error>?
        var failures = 0
        var retryAt: NIODeadline = .uptimeNanoseconds(0)
        var lastError: String?
        /// Whether a connection to this node ever succeeded: losing a node is worth an info
        /// line; a node that never answered is reported by the failing request itself.
        var wasReachable = false
    }

    /// How this client connects.
    public let configuration: CQLClientConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var hosts: [Host]
    private var nextHost = 0
    private var preparedByQuery: [String: CQLPrepared] = [:]
    private var isClosed = false

    /// A client; nothing connects until the first request.
    public init(
        configuration: CQLClientConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.hosts = configuration.contactPoints.map { Host(endpoint: $0) }
    }

    // MARK: requests

    /// QUERY: runs CQL text with positional values (types must match the columns exactly).
    public func query(
        _ cql: String, _ values: [CQLValue] = [], consistency: CQLConsistency, pageSize: Int32? = nil,
        pagingState: [UInt8]? = nil
    ) async throws -> CQLResult {
        let parameters = CQLQueryParameters(consistency: consistency, values: values, pageSize: pageSize, pagingState: pagingState)
        let connection = try await connection()
        return try Self.result(of: try await connection.send(.query(cql, parameters), timeout: configuration.requestTimeout))
    }

    /// PREPARE (cached per CQL text): the statement to pass to ``execute(_:_:consistency:pageSize:pagingState:)``.
    public func prepare(_ cql: String) async throws -> CQLPreparedStatement {
        if let prepared = preparedByQuery[cql] { return CQLPreparedStatement(query: cql, prepared: prepared) }
        return try await prepare(cql, on: try await connection())
    }

    private func prepare(_ cql: String, on connection: CQLConnection) async throws -> CQLPreparedStatement {
        let result = try Self.result(of: try await connection.send(.prepare(cql), timeout: configuration.requestTimeout))
        guard case .prepared(let prepared) = result else {
            throw CQLClientError(.protocolViolation, "PREPARE answered with \(result) instead of a prepared result")
        }
        preparedByQuery[cql] = prepared
        return CQLPreparedStatement(query: cql, prepared: prepared)
    }

    /// EXECUTE a prepared statement. When the node answers UNPREPARED (it restarted, or the
    /// statement was prepared on another node), it is prepared again there and executed once more.
    public func execute(
        _ statement: CQLPreparedStatement, _ values: [CQLValue], consistency: CQLConsistency, pageSize: Int32? = nil,
        pagingState: [UInt8]? = nil
    ) async throws -> CQLResult {
        let connection = try await connection()
        let parameters = CQLQueryParameters(consistency: consistency, values: values, pageSize: pageSize, pagingState: pagingState)
        let id = preparedByQuery[statement.query]?.id ?? statement.prepared.id
        do {
            return try Self.result(of: try await connection.send(.execute(id: id, parameters), timeout: configuration.requestTimeout))
        } catch let error as CQLServerError where error.code == .unprepared {
            logger.debug("re-preparing statement", metadata: ["cassandra.endpoint": "\(connection.endpoint)"])
            let again = try await prepare(statement.query, on: connection)
            return try Self.result(of: try await connection.send(.execute(id: again.prepared.id, parameters), timeout: configuration.requestTimeout))
        }
    }

    /// Executes `statement` page by page and returns every row (the paging state of section 8).
    public func executeAll(
        _ statement: CQLPreparedStatement, _ values: [CQLValue], consistency: CQLConsistency, pageSize: Int32 = 5000
    ) async throws -> CQLRows {
        var all = CQLRows(columns: [], rows: [])
        var pagingState: [UInt8]?
        repeat {
            let result = try await execute(statement, values, consistency: consistency, pageSize: pageSize, pagingState: pagingState)
            guard case .rows(let page) = result else {
                throw CQLClientError(.protocolViolation, "expected rows from \(statement.query), got \(result)")
            }
            if all.columns.isEmpty { all.columns = page.columns }
            all.rows += page.rows
            pagingState = page.pagingState
        } while pagingState != nil
        return all
    }

    /// BATCH of prepared statements. Unlogged batches are atomic and isolated only within
    /// one partition; logged ones are atomic across partitions at the cost of the batch log.
    public func batch(
        _ kind: CQLBatch.Kind, _ statements: [(CQLPreparedStatement, [CQLValue])], consistency: CQLConsistency
    ) async throws {
        let connection = try await connection()
        func batchRequest() -> CQLRequest {
            .batch(CQLBatch(kind: kind, statements: statements.map { statement, values in
                .init(query: .prepared(id: preparedByQuery[statement.query]?.id ?? statement.prepared.id), values: values)
            }, consistency: consistency))
        }
        do {
            _ = try Self.result(of: try await connection.send(batchRequest(), timeout: configuration.requestTimeout))
        } catch let error as CQLServerError where error.code == .unprepared {
            // Re-prepare every statement of the batch on this node, then send it again once.
            for query in Set(statements.map(\.0.query)) { _ = try await prepare(query, on: connection) }
            _ = try Self.result(of: try await connection.send(batchRequest(), timeout: configuration.requestTimeout))
        }
    }

    /// OPTIONS on some node: its supported STARTUP options.
    public func options() async throws -> [String: [String]] {
        try await connection().options(timeout: configuration.requestTimeout)
    }

    /// Closes every connection; later requests fail with ``CQLClientError/Kind/closed``.
    public func close() async {
        isClosed = true
        let all = hosts.flatMap(\.connections)
        for index in hosts.indices {
            hosts[index].connecting?.cancel()
            hosts[index].connections = []
        }
        for connection in all { await connection.close() }
    }

    private static func result(of decoded: CQLResponse.Decoded) throws -> CQLResult {
        switch decoded.response {
        case .result(let result): return result
        case .error(let error): throw error
        case let other: throw CQLClientError(.protocolViolation, "unexpected \(other.opcode) response to a request")
        }
    }

    // MARK: pool

    /// A connection with a free stream id: the least busy one of the next healthy node,
    /// opening a new one (up to `connectionsPerHost`) when all are busy or none exists.
    func connection() async throws -> CQLConnection {
        guard !isClosed else { throw CQLClientError(.closed, "the Cassandra client is closed") }
        guard !hosts.isEmpty else { throw CQLClientError(.noHostAvailable, "no Cassandra contact points configured") }
        var problems: [String] = []
        var authenticationErrors: [any Error] = []
        for offset in 0..<hosts.count {
            let index = (nextHost + offset) % hosts.count
            hosts[index].connections.removeAll { !$0.isActive }
            let open = hosts[index].connections
            let best = open.min { $0.inFlight < $1.inFlight }
            if let best, best.inFlight == 0 || open.count >= configuration.connectionsPerHost,
               best.inFlight < best.maxInFlight {
                nextHost = (index + 1) % hosts.count
                return best
            }
            if open.count < configuration.connectionsPerHost {
                do {
                    let connection = try await connect(hostIndex: index)
                    nextHost = (index + 1) % hosts.count
                    return connection
                } catch {
                    if Self.isAuthenticationFailure(error) { authenticationErrors.append(error) }
                    problems.append("\(hosts[index].endpoint): \(error)")
                    if let best, best.inFlight < best.maxInFlight { return best }
                    continue
                }
            }
            problems.append("\(hosts[index].endpoint): all \(open.count) connections busy")
        }
        // Wrong or missing credentials are a setting to fix, not an outage: say so directly.
        if let first = authenticationErrors.first, authenticationErrors.count == problems.count { throw first }
        let allBusy = hosts.allSatisfy { !$0.connections.isEmpty }
        throw CQLClientError(
            allBusy ? .tooManyRequestsInFlight : .noHostAvailable,
            "no Cassandra node available: " + problems.joined(separator: "; "))
    }

    private static func isAuthenticationFailure(_ error: any Error) -> Bool {
        (error as? CQLServerError)?.code == .authenticationError || (error as? CQLClientError)?.kind == .authentication
    }

    private func connect(hostIndex index: Int) async throws -> CQLConnection {
        if let pending = hosts[index].connecting { return try await pending.value }
        let now = NIODeadline.now()
        guard now >= hosts[index].retryAt else {
            let wait = (hosts[index].retryAt - now).nanoseconds / 1_000_000
            throw CQLClientError(.noHostAvailable, "backing off for \(wait) ms after: \(hosts[index].lastError ?? "a failure")")
        }
        let endpoint = hosts[index].endpoint
        let configuration = configuration, group = eventLoopGroup, logger = logger
        let task = Task {
            try await CQLConnection.connect(
                to: endpoint, credentials: configuration.credentials, maxInFlight: configuration.maxInFlightPerConnection,
                connectTimeout: configuration.connectTimeout, eventLoopGroup: group, logger: logger)
        }
        hosts[index].connecting = task
        defer { hosts[index].connecting = nil }
        do {
            let connection = try await task.value
            guard !isClosed else {
                await connection.close()
                throw CQLClientError(.closed, "the Cassandra client is closed")
            }
            hosts[index].connections.append(connection)
            hosts[index].failures = 0
            hosts[index].lastError = nil
            hosts[index].wasReachable = true
            return connection
        } catch let error as CQLServerError where error.code == .authenticationError {
            // Bad credentials do not heal by retrying quickly; still back off, but say why.
            recordFailure(index, "\(error)")
            throw error
        } catch {
            recordFailure(index, "\(error)")
            throw error
        }
    }

    private func recordFailure(_ index: Int, _ message: String) {
        hosts[index].failures += 1
        let exponent = min(hosts[index].failures - 1, 20)
        let delay = min(configuration.reconnectBaseDelay.nanoseconds << exponent, configuration.reconnectMaxDelay.nanoseconds)
        hosts[index].retryAt = .now() + .nanoseconds(delay)
        hosts[index].lastError = message
        logger.log(
            level: hosts[index].wasReachable ? .info : .debug,
            "cassandra node unreachable, backing off",
            metadata: ["cassandra.endpoint": "\(hosts[index].endpoint)", "cassandra.backoff_ms": "\(delay / 1_000_000)",
                       "error": "\(message)"])
    }
}
