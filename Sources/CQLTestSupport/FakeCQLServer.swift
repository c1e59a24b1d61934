import CQLProtocol
import NIOCore
import NIOPosix
import Synchronization

/// A scripted stand-in for a Cassandra node over loopback: it decodes each request frame
/// with our codec and answers what the test's script says. It is a fake: it runs no CQL.
public final class FakeCQLServer: Sendable {
    /// What the server does with one request.
    public enum Reply: Sendable {
        case respond(CQLResponse)
        /// Answer after a delay (to outlive a client timeout).
        case respondAfter(TimeAmount, CQLResponse)
        /// Never answer.
        case silence
        /// Close the connection instead of answering.
        case close
    }

    /// What the script sees: the request and which connection (1, 2, ...) it came on.
    public typealias Script = @Sendable (_ request: CQLRequest, _ connection: Int) -> Reply

    private let channel: any Channel
    private let state: Mutex<(connections: Int, requests: [CQLRequest])>

    /// The loopback port it listens on.
    public var port: Int { channel.localAddress!.port! }
    /// Connections accepted so far.
    public var connectionCount: Int { state.withLock { $0.connections } }
    /// Every request received, in order.
    public var requests: [CQLRequest] { state.withLock { $0.requests } }

    /// Returns once `count` ``Reply/respondAfter(_:_:)`` answers have been written to their
    /// connections (a test that must know a late answer is on the wire waits here).
    public func waitForDelayedReplies(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = box.delayed.withLock { delayed in
                if delayed.sent >= count { return true }
                delayed.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private let box: StateBox

    private init(channel: any Channel, box: StateBox) {
        self.channel = channel
        self.box = box
        self.state = Mutex((0, []))
    }

    /// Listens on `host`:`port` (loopback by default; 0: any free port) and answers with `script`
    /// on `group`'s event loops.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, script: @escaping Script
    ) async throws -> FakeCQLServer {
        let box = StateBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let number = box.nextConnection()
                box.children.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(CQLFrameDecoder()),
                        MessageToByteHandler(CQLFrameEncoder()),
                        Handler(number: number, script: script, record: { box.record($0) }, delayedSent: { box.delayedReplySent() }),
                    ])
                }
            }
            .bind(host: host, port: port)
            .get()
        let server = FakeCQLServer(channel: channel, box: box)
        box.server.withLock { $0 = server }
        return server
    }

    /// Closes the listening socket; open connections stay until their clients close them.
    public func stop() async {
        try? await channel.close()
    }

    /// Closes the listening socket and every open connection, like a node going down.
    public func kill() async {
        try? await channel.close()
        for child in box.children.withLock({ $0 }) { try? await child.close() }
    }

    fileprivate func noteConnection() -> Int { state.withLock { $0.connections += 1; return $0.connections } }
    fileprivate func record(_ request: CQLRequest) { state.withLock { $0.requests.append(request) } }

    private final class StateBox: Sendable {
        let server = Mutex<FakeCQLServer?>(nil)
        let children = Mutex<[any Channel]>([])
        func nextConnection() -> Int { server.withLock { $0?.noteConnection() ?? 0 } }
        func record(_ request: CQLRequest) { server.withLock { $0?.record(request) } }
        let delayed = Mutex<(sent: Int, waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)])>((0, []))
        func delayedReplySent() {
            let ready = delayed.withLock { delayed in
                delayed.sent += 1
                let sent = delayed.sent
                let ready = delayed.waiters.filter { $0.count <= sent }.map(\.continuation)
                delayed.waiters.removeAll { $0.count <= sent }
                return ready
            }
            ready.forEach { $0.resume() }
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = CQLFrame
        typealias OutboundOut = CQLFrame
        let number: Int
        let script: Script
        let record: (CQLRequest) -> Void
        let delayedSent: @Sendable () -> Void

        init(number: Int, script: @escaping Script, record: @escaping (CQLRequest) -> Void, delayedSent: @escaping @Sendable () -> Void) {
            self.number = number
            self.script = script
            self.record = record
            self.delayedSent = delayedSent
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            guard let request = try? CQLRequest.decode(opcode: frame.opcode, body: frame.body) else {
                context.close(promise: nil)
                return
            }
            record(request)
            let stream = frame.stream
            switch script(request, number) {
            case .respond(let response):
                context.writeAndFlush(wrapOutboundOut(try! response.frame(stream: stream)), promise: nil)
            case .respondAfter(let delay, let response):
                let frame = try! response.frame(stream: stream)
                let delayedSent = self.delayedSent
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    context.writeAndFlush(self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in delayedSent() }
                }
            case .silence: break
            case .close: context.close(promise: nil)
            }
        }
    }
}

extension FakeCQLServer {
    /// The usual answers to the handshake: READY to STARTUP, SUPPORTED to OPTIONS.
    public static func handshake(_ request: CQLRequest) -> Reply? {
        switch request {
        case .startup: .respond(.ready)
        case .options: .respond(.supported(["CQL_VERSION": ["3.4.7"], "COMPRESSION": []]))
        default: nil
        }
    }
}
