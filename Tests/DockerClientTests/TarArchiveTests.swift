import DockerAPI
import Foundation
import TenantTestSupport
import Testing

@testable import DockerClient

@Suite struct TarArchiveTests {
    let entries = [
        TarArchive.Entry(name: "smtp-password", content: Array("pa55 word".utf8), mode: 0o400, uid: 10001, gid: 10001, modified: 1_700_000_000),
        TarArchive.Entry(name: "empty", content: [], mode: 0o400, uid: 10001, gid: 10001),
        TarArchive.Entry(name: "big", content: (0..<1500).map { UInt8(truncatingIfNeeded: $0 * 7) }, mode: 0o640, uid: 0, gid: 0),
    ]

    /// GNU tar, an independent reader, lists what we wrote with the modes and owners we set.
    @Test func gnuTarReadsTheArchiveWithModesAndOwners() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sec-tar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/a.tar"
        try Data(try TarArchive.write(entries)).write(to: URL(fileURLWithPath: path))
        let listing = try await runProgram("/usr/bin/tar", ["--numeric-owner", "-tvf", path])
        #expect(listing.code == 0, "\(listing.err)")
        let lines = listing.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(lines.map { String($0[0]) } == ["-r--------", "-r--------", "-rw-r-----"])
        #expect(lines.map { String($0[1]) } == ["10001/10001", "10001/10001", "0/0"])
        #expect(lines.map { String($0[2]) } == ["9", "0", "1500"])
        #expect(lines.map { String($0.last!) } == ["smtp-password", "empty", "big"])
        let extract = try await runProgram("/usr/bin/tar", ["-xf", path, "-C", directory, "big", "smtp-password"])
        #expect(extract.code == 0, "\(extract.err)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/big"))) == entries[2].content)
        #expect(try String(contentsOfFile: directory + "/smtp-password", encoding: .utf8) == "pa55 word")
    }

    @Test func readReturnsWhatWriteWrote() throws {
        #expect(try TarArchive.read(try TarArchive.write(entries)) == entries)
    }

    @Test func archiveIsWholeBlocksEndingInTwoZeroBlocks() throws {
        let bytes = try TarArchive.write(entries)
        #expect(bytes.count == 512 * (1 + 1) + 512 * 1 + 512 * (1 + 3) + 1024)
        #expect(bytes.suffix(1024).allSatisfy { $0 == 0 })
    }

    @Test(arguments: ["", ".", "..", "a/b", String(repeating: "n", count: 101)])
    func unsafeNamesAreRefused(name: String) {
        #expect(throws: TarArchive.Failure.self) { try TarArchive.write([TarArchive.Entry(name: name, content: [1])]) }
    }

    @Test func aCorruptHeaderIsRefused() throws {
        var bytes = try TarArchive.write([entries[0]])
        bytes[3] ^= 0x20
        #expect(throws: TarArchive.Failure.self) { try TarArchive.read(bytes) }
    }

    @Test func putArchiveSendsTheTarWithItsContentType() async throws {
        let fake = FakeDockerTransport(images: ["img"])
        let client = DockerClient(transport: fake, version: APIVersion(1, 41))
        _ = try await client.createVolume(VolumeCreateRequest(Name: "v", Driver: "local", Labels: [:]))
        let created = try await client.createContainer(
            name: "filler", ContainerCreateRequest(Image: "img", HostConfig: HostConfig(Mounts: [Mount(Type: "volume", Source: "v", Target: "/s")])))
        let tar = try TarArchive.write([entries[0]])
        try await client.putArchive(container: created.Id, path: "/s", archive: tar)
        let put = try #require(fake.requests.last)
        #expect(put.method == "PUT")
        #expect(put.target == "/v1.41/containers/\(created.Id)/archive?path=%2Fs&noOverwriteDirNonDir=1")
        #expect(put.contentType == "application/x-tar")
        #expect(put.body == Data(tar))
        #expect(try TarArchive.read(try await client.archive(container: created.Id, path: "/s/smtp-password")) == [entries[0]])
        await #expect(throws: DockerError.self) { _ = try await client.archive(container: created.Id, path: "/s/missing") }
    }
}
