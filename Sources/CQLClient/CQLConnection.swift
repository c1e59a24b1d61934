import CQLProtocol
import EventLoopExecution
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A `HOST:PORT` of a Cassandra node's native transport.
public struct CQLEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// Native transport port (9042 by default).
    public var port: Int
    /// An endpoint.
    public init(host: String, port: Int = 9042) {
        self.host = host
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Username and password for Cassandra's `PasswordAuthenticator` (SASL PLAIN).
public struct CQLCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The role name.
    public var username: String
    /// The password (never logged).
    public var password: String
    /// Credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
    /// Never shows the password.
    public var description: String { "\(username):***" }
}

/// One established, authenticated connection speaking protocol v4.
public final class CQLConnection: Sendable {
    /// The node this connects to.
    public let endpoint: CQLEndpoint
    private let channel: any Channel
    private let inFlightCount = Atomic<Int>(0)
    /// The most requests this connection carries at once (its stream ids).
    public let maxInFlight: Int

    private init(endpoint: CQLEndpoint, channel: any Channel, maxInFlight: Int) {
        self.endpoint = endpoint
        self.channel = channel
        self.maxInFlight = maxInFlight
    }

    /// Connects, sends STARTUP and authenticates if the server asks to.
    ///
    /// - Parameters:
    ///   - maxInFlight: stream ids used on this connection (at most 32768).
    ///   - connectTimeout: bounds the TCP connect and the whole handshake.
    public static func connect(
        to endpoint: CQLEndpoint, credentials: CQLCredentials?, maxInFlight: Int = 1024,
        connectTimeout: TimeAmount = .seconds(5), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> CQLConnection {
        let streams = min(max(maxInFlight, 1), 32768)
        let loop = eventLoopGroup.next()
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .resolver(ThreadPoolResolver(loop: loop))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(CQLFrameDecoder()),
                        MessageToByteHandler(CQLFrameEncoder()),
                        CQLRequestHandler(maxInFlight: streams),
                    ])
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .get()
        let connection = CQLConnection(endpoint: endpoint, channel: channel, maxInFlight: streams)
        do {
            try await connection.handshake(credentials: credentials, timeout: connectTimeout)
        } catch {
            try? await channel.close()
            throw error
        }
        logger.debug("cassandra connection ready", metadata: ["cassandra.endpoint": "\(endpoint)"])
        return connection
    }

    private func handshake(credentials: CQLCredentials?, timeout: TimeAmount) async throws {
        switch try await send(.defaultStartup, timeout: timeout).response {
        case .ready: return
        case .authenticate(let authenticator):
            guard let credentials else {
                throw CQLClientError(.authentication, "\(endpoint) requires authentication (\(authenticator)) but no credentials are configured")
            }
            // SASL PLAIN. Cassandra's PasswordAuthenticator takes the credentials as the initial
            // response; DSE's unified authenticator first wants the mechanism, then challenges
            // with PLAIN-START (as the DataStax drivers do it).
            let plain = CQLRequest.plainAuthResponse(username: credentials.username, password: credentials.password)
            let isDSE = authenticator == "com.datastax.bdp.cassandra.auth.DseAuthenticator"
            var request = isDSE ? CQLRequest.authResponse(Array("PLAIN".utf8)) : plain
            for _ in 0..<2 {
                let response = try await send(request, timeout: timeout)
                switch response.response {
                case .authSuccess: return
                case .authChallenge(let challenge) where isDSE && challenge == Array("PLAIN-START".utf8):
                    request = plain
                case .authChallenge:
                    throw CQLClientError(.authentication, "\(endpoint) sent a SASL challenge PLAIN does not answer (\(authenticator))")
                case .error(let error): throw error
                default: throw CQLClientError(.protocolViolation, "unexpected \(response.response.opcode) answer to AUTH_RESPONSE")
                }
            }
            throw CQLClientError(.authentication, "\(endpoint) did not accept the PLAIN exchange (\(authenticator))")
        case .error(let error): throw error
        case let other: throw CQLClientError(.protocolViolation, "unexpected \(other.opcode) answer to STARTUP")
        }
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Requests currently awaiting a response.
    public var inFlight: Int { inFlightCount.load(ordering: .relaxed) }

    /// Sends one request and returns the decoded response (an ERROR response is returned,
    /// not thrown). Fails with ``CQLClientError`` on timeout, a closed connection or a full one.
    public func send(_ request: CQLRequest, timeout: TimeAmount, resultColumns: [CQLColumnSpec]? = nil) async throws -> CQLResponse.Decoded {
        inFlightCount.add(1, ordering: .relaxed)
        defer { inFlightCount.subtract(1, ordering: .relaxed) }
        let promise = channel.eventLoop.makePromise(of: CQLResponse.Decoded.self)
        let outbound = CQLOutboundRequest(request: request, timeout: timeout, resultColumns: resultColumns, promise: promise)
        channel.writeAndFlush(outbound).whenFailure { error in
            // Fails the request if the write itself failed (e.g. the channel closed meanwhile).
            promise.fail(error is CQLClientError ? error : CQLClientError(.connectionClosed, "write failed: \(error)"))
        }
        return try await promise.futureResult.get()
    }

    /// OPTIONS: the STARTUP options the server supports (CQL_VERSION, COMPRESSION, ...).
    public func options(timeout: TimeAmount = .seconds(5)) async throws -> [String: [String]] {
        let response = try await send(.options, timeout: timeout).response
        guard case .supported(let options) = response else {
            if case .error(let error) = response { throw error }
            throw CQLClientError(.protocolViolation, "unexpected \(response.opcode) answer to OPTIONS")
        }
        return options
    }

    /// Closes the connection; outstanding requests fail with `connectionClosed`.
    public func close() async {
        try? await channel.close()
    }
}
