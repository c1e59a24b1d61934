import CQLClient
import CQLProtocol
import CQLTestSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The client end to end over loopback against ``FakeCQLServer`` (a scripted fake, not Cassandra).
@Suite struct CQLClientTests {
    static let logger = Logger(label: "test.cql")
    /// The fake servers and clients of this suite run on a thread of their own: these tests
    /// time replies in seconds, and the shared event loops carry every other suite's servers
    /// too, which under a full parallel run kept replies waiting for over 2 s.
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let column = CQLColumnSpec(keyspace: "p1", table: "t", name: "n", type: .bigint)

    static func client(_ ports: [Int], credentials: CQLCredentials? = nil, configure: (inout CQLClientConfiguration) -> Void = { _ in }) -> CQLClient {
        var configuration = CQLClientConfiguration(contactPoints: ports.map { CQLEndpoint(host: "127.0.0.1", port: $0) }, credentials: credentials)
        // Generous: these must not expire, and a full parallel run on two cores has stretched
        // half a second of work to 25 s. Only the timeout test wants a short one (it sets it).
        configuration.requestTimeout = .seconds(30)
        configuration.connectTimeout = .seconds(30)
        configure(&configuration)
        return CQLClient(configuration: configuration, eventLoopGroup: loop, logger: logger)
    }

    static func rows(_ values: [Int64], pagingState: [UInt8]? = nil) -> CQLResponse {
        .result(.rows(CQLRows(columns: [column], rows: values.map { [.bigint($0)] }, pagingState: pagingState)))
    }

    @Test func authenticatesWithSASLPlain() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            switch request {
            case .startup: return .respond(.authenticate("org.apache.cassandra.auth.PasswordAuthenticator"))
            case .authResponse(let token):
                return token == [0] + Array("tenant".utf8) + [0] + Array("pw".utf8)
                    ? .respond(.authSuccess(nil))
                    : .respond(.error(.init(code: .authenticationError, message: "Provided username tenant and/or password are incorrect")))
            case .query: return .respond(Self.rows([42]))
            default: return .silence
            }
        }
        defer { Task { await server.stop() } }

        let good = Self.client([server.port], credentials: .init(username: "tenant", password: "pw"))
        let result = try await good.query("SELECT n FROM p1.t", consistency: .one)
        #expect(result == Self.rows([42]).resultValue)
        await good.close()

        let bad = Self.client([server.port], credentials: .init(username: "tenant", password: "wrong"))
        await #expect {
            _ = try await bad.query("SELECT n FROM p1.t", consistency: .one)
        } throws: { error in
            (error as? CQLServerError)?.code == .authenticationError
        }
        await bad.close()

        let anonymous = Self.client([server.port])
        await #expect {
            _ = try await anonymous.query("SELECT n FROM p1.t", consistency: .one)
        } throws: { error in
            (error as? CQLClientError)?.kind == .authentication
        }
        await anonymous.close()
    }

    @Test func authenticatesAgainstDSEsUnifiedAuthenticator() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            switch request {
            case .startup: return .respond(.authenticate("com.datastax.bdp.cassandra.auth.DseAuthenticator"))
            case .authResponse(let token) where token == Array("PLAIN".utf8): return .respond(.authChallenge(Array("PLAIN-START".utf8)))
            case .authResponse(let token) where token == [0] + Array("u".utf8) + [0] + Array("p".utf8): return .respond(.authSuccess(nil))
            case .authResponse: return .respond(.error(.init(code: .authenticationError, message: "bad")))
            default: return FakeCQLServer.handshake(request) ?? .silence
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port], credentials: .init(username: "u", password: "p"))
        #expect(try await client.options()["CQL_VERSION"] == ["3.4.7"])
        await client.close()
    }

    @Test func optionsReturnsSupported() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in FakeCQLServer.handshake(request) ?? .silence }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port])
        #expect(try await client.options()["CQL_VERSION"] == ["3.4.7"])
        await client.close()
    }

    @Test func reprepareWhenTheNodeForgotTheStatement() async throws {
        // The node "restarts" after the first EXECUTE: it answers UNPREPARED until prepared again.
        let forgotten = Mutex(false)
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            if let reply = FakeCQLServer.handshake(request) { return reply }
            switch request {
            case .prepare:
                forgotten.withLock { $0 = false }
                return .respond(.result(.prepared(CQLPrepared(id: [7, 7], bindMarkers: [Self.column], resultColumns: [Self.column]))))
            case .execute(let id, let parameters):
                if forgotten.withLock({ $0 }) {
                    return .respond(.error(.init(code: .unprepared, message: "Prepared query with ID 0707 not found", detail: .unprepared(id: id))))
                }
                forgotten.withLock { $0 = true }
                return .respond(Self.rows([Int64(parameters.values.count)]))
            case .batch(let batch):
                if forgotten.withLock({ $0 }) {
                    return .respond(.error(.init(code: .unprepared, message: "not found", detail: .unprepared(id: [7, 7]))))
                }
                return .respond(batch.statements.count == 2 ? .result(.void) : .error(.init(code: .invalid, message: "bad batch")))
            default: return .silence
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port])
        let statement = try await client.prepare("SELECT n FROM p1.t WHERE n = ?")
        #expect(try await client.prepare("SELECT n FROM p1.t WHERE n = ?") == statement, "cached")
        #expect(try await client.execute(statement, [.bigint(1)], consistency: .one) == Self.rows([1]).resultValue)
        #expect(try await client.execute(statement, [.bigint(1)], consistency: .one) == Self.rows([1]).resultValue)
        try await client.batch(.unlogged, [(statement, [.bigint(1)]), (statement, [.bigint(2)])], consistency: .localQuorum)
        let prepares = server.requests.filter { if case .prepare = $0 { true } else { false } }.count
        #expect(prepares == 3, "one PREPARE up front, one after each UNPREPARED")
        await client.close()
    }

    @Test func pagesUntilTheServerStops() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            if let reply = FakeCQLServer.handshake(request) { return reply }
            switch request {
            case .prepare: return .respond(.result(.prepared(CQLPrepared(id: [1], bindMarkers: [], resultColumns: [Self.column]))))
            case .execute(_, let parameters):
                guard parameters.pageSize == 2 else { return .respond(.error(.init(code: .invalid, message: "page size"))) }
                switch parameters.pagingState {
                case nil: return .respond(Self.rows([1, 2], pagingState: [0xA]))
                case [0xA]?: return .respond(Self.rows([3, 4], pagingState: [0xB]))
                case [0xB]?: return .respond(Self.rows([5]))
                default: return .respond(.error(.init(code: .protocolError, message: "bad paging state")))
                }
            default: return .silence
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port])
        let statement = try await client.prepare("SELECT n FROM p1.t")
        let all = try await client.executeAll(statement, [], consistency: .localQuorum, pageSize: 2)
        #expect(all.rows == [1, 2, 3, 4, 5].map { [CQLValue.bigint($0)] })
        #expect(all.columns == [Self.column])
        await client.close()
    }

    @Test(.timeLimit(.minutes(1))) func timesOutAndKeepsTheConnectionUsable() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            if let reply = FakeCQLServer.handshake(request) { return reply }
            guard case .query(let text, _) = request else { return .silence }
            switch text {
            case "slow": return .respondAfter(.seconds(8), Self.rows([1]))
            case "never": return .silence
            default: return .respond(Self.rows([2]))
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port]) {
            $0.connectionsPerHost = 1
            // Short enough to expire well before "slow" answers; long enough that the last, fast
            // query does not time out on a busy machine.
            $0.requestTimeout = .seconds(3)
        }
        for text in ["never", "slow"] {
            await #expect {
                _ = try await client.query(text, consistency: .one)
            } throws: { error in
                (error as? CQLClientError)?.kind == .timeout
            }
        }
        // Both timed out (a hang would meet the test's one-minute limit), "slow" before its
        // answer came: the answer would have been a result, not a timeout.
        // The late answer to "slow" is on the wire, ahead of this one on the same connection,
        // and must not be mistaken for it.
        await server.waitForDelayedReplies(1)
        #expect(try await client.query("fast", consistency: .one) == Self.rows([2]).resultValue)
        #expect(server.connectionCount == 1)
        await client.close()
    }

    @Test func serverErrorsAreTypedWithTheirDetail() async throws {
        let error = CQLServerError(code: .writeTimeout, message: "Operation timed out - received only 1 responses.",
                                   detail: .writeTimeout(consistency: .localQuorum, received: 1, blockFor: 2, writeType: "UNLOGGED_BATCH"))
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            FakeCQLServer.handshake(request) ?? .respond(.error(error))
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port])
        await #expect(throws: error) { _ = try await client.query("INSERT", consistency: .localQuorum) }
        await client.close()
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, connection in
            if let reply = FakeCQLServer.handshake(request) { return reply }
            // The first connection dies on its first query; later ones answer.
            return connection == 1 ? .close : .respond(Self.rows([Int64(connection)]))
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port]) { $0.connectionsPerHost = 1 }
        await #expect {
            _ = try await client.query("q", consistency: .one)
        } throws: { error in
            (error as? CQLClientError)?.kind == .connectionClosed
        }
        #expect(try await client.query("q", consistency: .one) == Self.rows([2]).resultValue)
        #expect(server.connectionCount == 2)
        await client.close()
    }

    @Test func skipsADeadContactPointAndBacksOff() async throws {
        // A port with nothing listening: bind a server, note its port, stop it.
        let gone = try await FakeCQLServer.start(group: Self.loop) { _, _ in .silence }
        let deadPort = gone.port
        await gone.stop()
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in FakeCQLServer.handshake(request) ?? .respond(Self.rows([9])) }
        defer { Task { await server.stop() } }
        let client = Self.client([deadPort, server.port]) { $0.reconnectBaseDelay = .seconds(60) }
        for _ in 0..<4 {
            #expect(try await client.query("q", consistency: .one) == Self.rows([9]).resultValue)
        }
        await client.close()

        let onlyDead = Self.client([deadPort]) { $0.reconnectBaseDelay = .seconds(60) }
        await #expect {
            _ = try await onlyDead.query("q", consistency: .one)
        } throws: { error in
            (error as? CQLClientError)?.kind == .noHostAvailable && "\(error)".contains("refused")
        }
        // Within the backoff the node is not even tried.
        await #expect {
            _ = try await onlyDead.query("q", consistency: .one)
        } throws: { error in
            (error as? CQLClientError)?.kind == .noHostAvailable && "\(error)".contains("backing off")
        }
        await onlyDead.close()
    }

    @Test func limitsRequestsInFlightPerConnection() async throws {
        let server = try await FakeCQLServer.start(group: Self.loop) { request, _ in
            FakeCQLServer.handshake(request) ?? .respondAfter(.seconds(5), Self.rows([1]))
        }
        defer { Task { await server.stop() } }
        let client = Self.client([server.port]) {
            $0.connectionsPerHost = 1
            $0.maxInFlightPerConnection = 2
            // The first two stay in flight for 5 s, so the third finds the limit reached even
            // when the machine starts it late; this test is about the limit, not timeouts.
            $0.requestTimeout = .seconds(30)
        }
        _ = try await client.options()  // open the one connection
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await client.query("q", consistency: .one)
                        return "ok"
                    } catch let error as CQLClientError {
                        return "\(error.kind)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.sorted() == ["ok", "ok", "tooManyRequestsInFlight"])
        await client.close()
    }
}

extension CQLResponse {
    /// The result inside a RESULT response, to compare with what the client returns.
    var resultValue: CQLResult? { if case .result(let result) = self { result } else { nil } }
}
