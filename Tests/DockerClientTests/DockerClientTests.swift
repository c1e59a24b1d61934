import DockerAPI
import Foundation
import TenantTestSupport
import Testing

@testable import DockerClient

/// A transport that answers every request with one canned response or error.
private struct CannedTransport: DockerTransport {
    let endpoint = "canned://"
    let result: @Sendable (DockerRequest) throws -> DockerResponse
    func send(_ request: DockerRequest) async throws -> DockerResponse { try result(request) }
    func stream(_ request: DockerRequest, sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> DockerResponse { try result(request) }
}

private func client(status: Int, body: String) -> DockerClient {
    DockerClient(transport: CannedTransport { _ in DockerResponse(status: status, body: Data(body.utf8)) }, version: APIVersion(1, 41))
}

@Suite struct VersionNegotiationTests {
    @Test func usesTheEnginesVersionWhenOlderThanOurs() async throws {
        let client = try await DockerClient.connect(transport: FakeDockerTransport(apiVersion: "1.41"))
        #expect(client.version == APIVersion(1, 41))
        #expect(client.versioned("/containers/json") == "/v1.41/containers/json")
    }

    @Test func capsAtOurMaximumForNewerEngines() async throws {
        // Docker 29 speaks 1.52 and refuses anything below 1.44.
        let client = try await DockerClient.connect(transport: FakeDockerTransport(apiVersion: "1.52"))
        #expect(client.version == DockerClient.maximumVersion)
        #expect(DockerClient.maximumVersion >= APIVersion(1, 44))
    }

    @Test func refusesEnginesOlderThanTheMinimum() async throws {
        await #expect(throws: DockerError.versionUnsupported(engine: APIVersion(1, 39), minimum: APIVersion(1, 40))) {
            _ = try await DockerClient.connect(transport: FakeDockerTransport(apiVersion: "1.39"))
        }
        let line = DockerError.versionUnsupported(engine: APIVersion(1, 39), minimum: APIVersion(1, 40)).description
        #expect(!line.contains("\n"))
        #expect(line.contains("1.39") && line.contains("1.40"))
    }

    @Test func aPinnedVersionBothSidesSpeakIsUsed() async throws {
        let client = try await DockerClient.connect(transport: FakeDockerTransport(apiVersion: "1.45"), pinned: APIVersion(1, 41))
        #expect(client.version == APIVersion(1, 41))
        #expect(client.versioned("/containers/json") == "/v1.41/containers/json")
    }

    @Test func aPinnedVersionEitherSideLacksIsRefused() async throws {
        // Newer than the engine, newer than tenantctl, older than tenantctl.
        for (engine, pinned) in [("1.41", APIVersion(1, 43)), ("1.52", APIVersion(1, 50)), ("1.45", APIVersion(1, 24))] {
            await #expect(throws: DockerError.pinnedVersionUnsupported(pinned: pinned, engine: APIVersion(engine)!)) {
                _ = try await DockerClient.connect(transport: FakeDockerTransport(apiVersion: engine), pinned: pinned)
            }
        }
        let line = DockerError.pinnedVersionUnsupported(pinned: APIVersion(1, 43), engine: APIVersion(1, 41)).description
        #expect(line.contains("DOCKER_API_VERSION=1.43") && line.contains("up to 1.41"))
    }

    @Test func versionsCompareNumerically() {
        #expect(APIVersion("1.9")! < APIVersion("1.41")!)
        #expect(APIVersion("1.x") == nil)
        #expect(APIVersion("2") == nil)
    }
}

@Suite struct ErrorMappingTests {
    @Test func notFoundCarriesTheEnginesMessage() async {
        await #expect(throws: DockerError.notFound("No such container: x")) {
            _ = try await client(status: 404, body: #"{"message":"No such container: x"}"#).inspectContainer(id: "x")
        }
    }

    @Test func conflictAndNotModified() async {
        await #expect(throws: DockerError.conflict("name in use")) {
            _ = try await client(status: 409, body: #"{"message":"name in use"}"#).createContainer(name: "a", ContainerCreateRequest(Image: "i"))
        }
        await #expect(throws: DockerError.notModified) {
            try await client(status: 304, body: "").startContainer(id: "a")
        }
    }

    @Test func otherStatusesAreEngineErrors() async {
        await #expect(throws: DockerError.engine(status: 500, message: "port is already allocated")) {
            try await client(status: 500, body: #"{"message":"port is already allocated"}"#).startContainer(id: "a")
        }
        await #expect(throws: DockerError.engine(status: 502, message: "bad gateway")) {
            try await client(status: 502, body: "bad gateway\n").startContainer(id: "a")
        }
    }

    @Test func transportFailuresBecomeUnreachableOrTimedOut() async {
        let down = DockerClient(transport: CannedTransport { _ in throw DockerTransportError.unreachable("connection refused") }, version: APIVersion(1, 41))
        await #expect(throws: DockerError.unreachable(endpoint: "canned://", reason: "connection refused")) { _ = try await down.listContainers() }
        let slow = DockerClient(transport: CannedTransport { _ in throw DockerTransportError.timedOut("28") }, version: APIVersion(1, 41))
        await #expect(throws: DockerError.timedOut(operation: "GET /v1.41/containers/json")) { _ = try await slow.listContainers() }
    }

    @Test func undecodableBodiesAreInvalidResponses() async {
        await #expect {
            _ = try await client(status: 200, body: "not json").listContainers()
        } throws: { error in
            if case DockerError.invalidResponse = error { return true }
            return false
        }
    }

    @Test func everyErrorIsOneLine() {
        let errors: [DockerError] = [
            .notFound("x"), .conflict("y"), .notModified, .engine(status: 500, message: "z"), .unreachable(endpoint: "unix:///s", reason: "r"),
            .timedOut(operation: "GET /x"), .versionUnsupported(engine: APIVersion(1, 30), minimum: APIVersion(1, 40)), .invalidResponse("w"),
        ]
        for error in errors { #expect(!error.description.isEmpty && !error.description.contains("\n")) }
    }
}

@Suite struct RequestTests {
    @Test func listFiltersByLabelAsEngineJSON() async throws {
        let fake = FakeDockerTransport()
        let client = DockerClient(transport: fake, version: APIVersion(1, 41))
        _ = try await client.listContainers(labels: ["io.tenantctl.provider=acme"])
        let request = try #require(fake.requests.last)
        #expect(request.method == "GET")
        #expect(request.path == "/v1.41/containers/json")
        #expect(request.query.first { $0.0 == "filters" }?.1 == #"{"label":["io.tenantctl.provider=acme"]}"#)
        #expect(request.target.contains("filters=%7B%22label%22"))
    }

    @Test func createSendsNameAndSortedJSONBody() async throws {
        let fake = FakeDockerTransport(images: ["img"])
        let client = DockerClient(transport: fake, version: APIVersion(1, 41))
        let created = try await client.createContainer(name: "remote_server_acme", ContainerCreateRequest(Image: "img", Cmd: ["x"]))
        #expect(!created.Id.isEmpty)
        let request = try #require(fake.requests.last)
        #expect(request.target == "/v1.41/containers/create?name=remote_server_acme")
        #expect(String(decoding: try #require(request.body), as: UTF8.self) == #"{"Cmd":["x"],"Image":"img"}"#)
        #expect(request.timeout == .seconds(30))
    }

    @Test func stopPassesTheGraceAndExtendsTheTimeout() async throws {
        let fake = FakeDockerTransport(images: ["img"])
        let client = DockerClient(transport: fake, version: APIVersion(1, 41))
        _ = try await client.createContainer(name: "c", ContainerCreateRequest(Image: "img"))
        try await client.startContainer(id: "c")
        try await client.stopContainer(id: "c", timeout: 7)
        let stop = try #require(fake.requests.last)
        #expect(stop.target == "/v1.41/containers/c/stop?t=7")
        #expect(stop.timeout == .seconds(37))
        await #expect(throws: DockerError.notModified) { try await client.stopContainer(id: "c") }
    }
}

@Suite struct LogDemuxerTests {
    private func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let n = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + payload
    }

    @Test func splitsStdoutAndStderrFrames() {
        var demuxer = LogDemuxer()
        let frames = demuxer.feed(frame(1, "out\n") + frame(2, "err\n"))
        #expect(frames == [LogFrame(stream: .stdout, payload: Array("out\n".utf8)), LogFrame(stream: .stderr, payload: Array("err\n".utf8))])
        #expect(demuxer.pendingByteCount == 0)
    }

    @Test func waitsForPartialFramesAcrossChunks() {
        var demuxer = LogDemuxer()
        let bytes = frame(2, "hello world") + frame(1, "")
        var frames: [LogFrame] = []
        for byte in bytes { frames += demuxer.feed([byte]) }
        #expect(frames.map(\.stream) == [.stderr, .stdout])
        #expect(frames.first?.payload == Array("hello world".utf8))
    }
}

@Suite struct CurlTransportTests {
    @Test func parsesDockerHost() throws {
        #expect(try CurlTransport(dockerHost: nil).endpoint == "unix:///var/run/docker.sock")
        #expect(try CurlTransport(dockerHost: "tcp://127.0.0.1:2375").endpoint == "tcp://127.0.0.1:2375")
        #expect(throws: DockerError.self) { try CurlTransport(dockerHost: "ssh://host") }
        #expect(throws: DockerError.self) { try CurlTransport(dockerHost: "unix://") }
    }

    @Test func missingSocketIsUnreachableInOneLine() async throws {
        let transport = try CurlTransport(dockerHost: "unix:///nonexistent/tenantctl-test.sock")
        await #expect {
            _ = try await DockerClient.connect(transport: transport, timeout: .seconds(5))
        } throws: { error in
            guard case DockerError.unreachable(let endpoint, _) = error else { return false }
            return endpoint == "unix:///nonexistent/tenantctl-test.sock" && !"\(error)".contains("\n")
        }
    }

    @Test func closedTCPPortIsUnreachable() async throws {
        // Port 1 on loopback is closed on any sane test machine.
        let transport = try CurlTransport(dockerHost: "tcp://127.0.0.1:1")
        await #expect {
            _ = try await DockerClient.engineVersion(transport: transport, timeout: .seconds(5))
        } throws: { error in
            if case DockerError.unreachable = error { return true }
            return false
        }
    }
}
