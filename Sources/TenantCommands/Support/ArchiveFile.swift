import DockerAPI
import DockerClient
import Foundation

/// Moves one file out of or into a container through the engine's archive endpoints, so
/// it works the same against a remote engine: nothing reads the engine's host paths.
enum ArchiveFile {
    /// Streams `path` out of container `id` into a new file at `destination` (written beside
    /// it as `.partial`, renamed when complete); returns its size.
    static func download(_ client: DockerClient, container id: String, path: String, to destination: String) async throws -> Int {
        let partial = destination + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: partial)
        else { throw TenantCtlError("cannot write \(partial)") }
        let state = LockedValue<(extractor: Tar.FileExtractor?, error: (any Error)?)>((nil, nil))
        state.withLock { $0.extractor = Tar.FileExtractor { try handle.write(contentsOf: $0) } }
        do {
            defer { try? handle.close() }
            try await client.getArchive(id: id, path: path) { chunk in
                state.withLock { state in
                    guard state.error == nil else { return }
                    do { try state.extractor?.feed(chunk) } catch { state.error = error }
                }
            }
            try state.withLock { state throws in
                if let failure = state.error { throw failure }
                try state.extractor?.finish()
            }
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw TenantCtlError("downloading \(path)", error)
        }
        let size = state.withLock { $0.extractor?.fileBytes ?? 0 }
        guard rename(partial, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: partial)
            throw TenantCtlError("cannot move the backup to \(destination): \(reason)")
        }
        return size
    }

    /// The image's unprivileged `tenant` user, which runs the jobs and so owns what they read.
    static let imageUser = 10001

    /// A tar holding `contents` as `name`, owned by the image's user, for
    /// ``DockerClient/putArchive(id:path:archive:)``.
    static func archive(name: String, contents: Data) -> Data {
        Data(Tar.archive(name: name, contents: Array(contents), mode: 0o600, uid: imageUser))
    }
}
