import Foundation
import Testing

@testable import DockerClient

/// Messages for a unix socket that does not answer name the socket, not libcurl's placeholder URL.
@Suite struct SocketProblemTests {
    @Test func aMissingPathSaysSo() {
        #expect(CurlCall.socketProblem("/nonexistent/docker.sock") == "socket /nonexistent/docker.sock: No such file or directory")
    }

    @Test func aFileThatIsNoSocketIsSaidToBeNone() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ops-not-a-socket-\(getpid())").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(CurlCall.socketProblem(path) == "\(path) is not a socket")
    }

    @Test func malformedAddressesAreInvalidAddressErrors() {
        #expect(throws: DockerError.invalidAddress(address: "garbage", reason: "expected unix://PATH or tcp://HOST:PORT")) {
            try CurlTransport(dockerHost: "garbage")
        }
    }
}
