import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A separate, minimal HTTP/1.1 listener that answers `GET /metrics` with the Prometheus
/// text `render` returns (and `GET /health` with 200), everything else with 404. It runs on
/// the provider's network only; the gateway and admin ports never serve metrics without a token.
public final class MetricsListener: Service, Sendable {
    /// The Prometheus text exposition content type.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let host: String
    private let port: Int
    private let render: @Sendable () -> [UInt8]
    private let logger: Logger
    private let group: any EventLoopGroup
    private let bound = NIOLockedValueBox<(address: SocketAddress?, done: Bool, waiters: [CheckedContinuation<SocketAddress?, Never>])>((nil, false, []))

    /// A listener on `host:port` (port 0 picks one) serving what `render` returns.
    public init(
        host: String, port: Int, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        render: @escaping @Sendable () -> [UInt8]
    ) {
        self.host = host
        self.port = port
        self.render = render
        self.logger = logger
        self.group = group
    }

    /// The bound address once listening; nil if binding failed.
    public func listeningAddress() async -> SocketAddress? {
        await withCheckedContinuation { continuation in
            let ready: SocketAddress?? = bound.withLockedValue { state in
                if state.done { return .some(state.address) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func setBound(_ address: SocketAddress?) {
        let waiters = bound.withLockedValue { state in
            state.address = address
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: address) }
    }

    public func run() async throws {
        let render = self.render
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(MetricsRequestHandler(render: render))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            setBound(nil)
            throw error
        }
        setBound(channel.localAddress)
        logger.info("metrics listening", metadata: ["listen": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// Answers one request at a time on a keep-alive connection.
final class MetricsRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let render: @Sendable () -> [UInt8]
    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let body: [UInt8]
        var headers = HTTPHeaders()
        switch (head.method, path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            status = .ok
            body = render()
            headers.add(name: "Content-Type", value: MetricsListener.contentType)
        case (.GET, "/health"), (.HEAD, "/health"):
            status = .ok
            body = Array("ok\n".utf8)
            headers.add(name: "Content-Type", value: "text/plain")
        case (.GET, _), (.HEAD, _):
            status = .notFound
            body = Array("only /metrics and /health are served here\n".utf8)
            headers.add(name: "Content-Type", value: "text/plain")
        default:
            status = .methodNotAllowed
            body = []
            headers.add(name: "Allow", value: "GET, HEAD")
        }
        headers.add(name: "Content-Length", value: String(body.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
