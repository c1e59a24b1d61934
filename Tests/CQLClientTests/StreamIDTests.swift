@testable import CQLClient
import CQLProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The stream-id multiplexer alone, on an EmbeddedChannel with a manual clock.
@Suite struct StreamIDTests {
    final class Harness {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel

        init(maxInFlight: Int) throws {
            channel = EmbeddedChannel(handler: CQLRequestHandler(maxInFlight: maxInFlight), loop: loop)
        }

        func send(_ request: CQLRequest = .options, timeout: TimeAmount = .seconds(1)) -> EventLoopFuture<CQLResponse.Decoded> {
            let promise = loop.makePromise(of: CQLResponse.Decoded.self)
            channel.writeAndFlush(CQLOutboundRequest(request: request, timeout: timeout, resultColumns: nil, promise: promise), promise: nil)
            return promise.futureResult
        }

        func sentStream() throws -> Int16? { try channel.readOutbound(as: CQLFrame.self)?.stream }

        func answer(stream: Int16, _ response: CQLResponse = .ready) throws {
            try channel.writeInbound(try response.frame(stream: stream))
        }
    }

    /// Everything runs on the embedded loop, synchronously: the box never crosses threads.
    final class Box: @unchecked Sendable { var text = "pending" }

    static func outcome(_ future: EventLoopFuture<CQLResponse.Decoded>) -> String {
        let box = Box()
        future.whenComplete { result in
            switch result {
            case .success(let decoded): box.text = "\(decoded.response.opcode)"
            case .failure(let error as CQLClientError): box.text = "\(error.kind)"
            case .failure(let error): box.text = "\(error)"
            }
        }
        return box.text
    }

    @Test func neverMoreThan32768Ids() {
        #expect(CQLRequestHandler(maxInFlight: 100_000).capacity == 32768)
        #expect(CQLRequestHandler(maxInFlight: 0).capacity == 1)
    }

    @Test func fillsEveryIdAndReusesAnsweredOnes() throws {
        let harness = try Harness(maxInFlight: 300)
        var futures: [EventLoopFuture<CQLResponse.Decoded>] = []
        var streams = Set<Int16>()
        for _ in 0..<300 {
            futures.append(harness.send())
            streams.insert(try #require(try harness.sentStream()))
        }
        #expect(streams == Set(0..<300))
        #expect(Self.outcome(harness.send()) == "tooManyRequestsInFlight")
        try harness.answer(stream: 242)
        #expect(Self.outcome(futures[242]) == "ready")
        let next = harness.send()
        #expect(try harness.sentStream() == 242)
        try harness.answer(stream: 242, .supported([:]))
        #expect(Self.outcome(next) == "supported")
        _ = try? harness.channel.finish()
    }

    @Test func aTimedOutIdWaitsForItsLateAnswer() throws {
        let harness = try Harness(maxInFlight: 2)
        let first = harness.send(timeout: .milliseconds(100))
        #expect(try harness.sentStream() == 0)
        harness.loop.advanceTime(by: .milliseconds(101))
        #expect(Self.outcome(first) == "timeout")
        let second = harness.send()
        #expect(try harness.sentStream() == 1, "id 0 is still owed an answer")
        #expect(Self.outcome(harness.send()) == "tooManyRequestsInFlight")
        try harness.answer(stream: 0)  // the late answer to the timed-out request: dropped
        #expect(Self.outcome(second) == "pending")
        let third = harness.send()
        #expect(try harness.sentStream() == 0)
        try harness.answer(stream: 1)
        try harness.answer(stream: 0, .supported([:]))
        #expect(Self.outcome(second) == "ready")
        #expect(Self.outcome(third) == "supported")
        _ = try? harness.channel.finish()
    }

    @Test func serverErrorsAndClosingFailOnlyWhatTheyShould() throws {
        let harness = try Harness(maxInFlight: 8)
        let a = harness.send(), b = harness.send()
        _ = try harness.sentStream()
        _ = try harness.sentStream()
        try harness.answer(stream: 0, .error(.init(code: .overloaded, message: "busy")))
        #expect(Self.outcome(a) == "error")
        #expect(Self.outcome(b) == "pending")
        // An answer on a stream nobody asked on is a protocol violation: everything fails, the channel closes.
        try? harness.answer(stream: 7)
        #expect(Self.outcome(b) == "protocolViolation")
        #expect(!harness.channel.isActive)
    }
}
