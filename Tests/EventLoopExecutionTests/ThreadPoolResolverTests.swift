import EventLoopExecution
import NIOCore
import NIOPosix
import Testing

@Suite struct ThreadPoolResolverTests {
    private let loop = MultiThreadedEventLoopGroup.singleton.next()

    @Test func anAddressIsTakenAsItIsInItsOwnFamily() async throws {
        let v4 = ThreadPoolResolver(loop: loop)
        #expect(try await v4.initiateAQuery(host: "127.0.0.1", port: 9042).get() == [try SocketAddress(ipAddress: "127.0.0.1", port: 9042)])
        #expect(try await v4.initiateAAAAQuery(host: "127.0.0.1", port: 9042).get().isEmpty)
        let v6 = ThreadPoolResolver(loop: loop)
        #expect(try await v6.initiateAAAAQuery(host: "::1", port: 9042).get() == [try SocketAddress(ipAddress: "::1", port: 9042)])
        #expect(try await v6.initiateAQuery(host: "::1", port: 9042).get().isEmpty)
    }

    @Test func aNameIsLookedUpOnce() async throws {
        // /etc/hosts answers; nothing leaves the machine.
        let resolver = ThreadPoolResolver(loop: loop)
        let a = try await resolver.initiateAQuery(host: "localhost", port: 7000).get()
        let aaaa = try await resolver.initiateAAAAQuery(host: "localhost", port: 7000).get()
        #expect((a + aaaa).count == 1)
        #expect((a + aaaa).first?.port == 7000)
    }

    @Test func aConnectionGoesThroughIt() async throws {
        // Listen where "localhost" leads first, so the connect finds it whichever family that is.
        let localhost = try SocketAddress.makeAddressResolvingHost("localhost", port: 0)
        let server = try await ServerBootstrap(group: loop).bind(to: localhost).get()
        let port = try #require(server.localAddress?.port)
        let client = try await ClientBootstrap(group: loop).resolver(ThreadPoolResolver(loop: loop)).connect(host: "localhost", port: port).get()
        #expect(client.remoteAddress?.port == port)
        try await client.close()
        try await server.close()
    }
}
