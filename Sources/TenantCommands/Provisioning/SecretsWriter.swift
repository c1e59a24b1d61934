import DockerAPI
import DockerClient
import Logging
import TenantAuth
import TenantModel
import TenantPlan

/// Writes a provider's secret files into its secrets volume through a one-shot container
/// (``SecretsPlan/filler(_:)``): created, never started, given the files with
/// `PUT /containers/{id}/archive`, removed. No host path is involved, so this works against a
/// remote engine (`DOCKER_HOST=tcp://...`) as well as the local socket.
///
/// Every run writes every kind of secret file: those not configured become empty, so a
/// dropped secret does not linger. The settings key is the exception: it is generated on the
/// first run and never replaced, because the admin app's store is sealed with it.
struct SecretsWriter: Sendable {
    let client: DockerClient
    let logger: Logger

    /// Files are `0400`, owned by the image's user: only the servers read them.
    static let fileMode: UInt32 = 0o400

    /// Creates the volume if needed (recording its removal in `journal`) and writes the files.
    func write(_ values: ProviderSecretValues, settings: ProviderSettings, journal: Journal) async throws {
        let id = settings.id
        let volume = SecretsPlan.volume(id, fleet: settings.fleet)
        let name = ProviderNames.secretsContainer(id)
        do {
            if !(try await objectExists { try await client.inspectVolume(name: volume.Name) }) {
                _ = try await client.createVolume(volume)
                await journal.record(description: "create volume \(volume.Name)", undo: .removeVolume(volume.Name))
            }
            // A filler left by an interrupted run would block the name.
            do { try await client.removeContainer(id: name, force: true) } catch {
                guard case .notFound = error else { throw error }
            }
            let filler = try await client.createContainer(name: name, SecretsPlan.filler(settings))
            do {
                let hasKey = try await keyExists(container: filler.Id)
                try await client.putArchive(
                    container: filler.Id, path: ProviderNames.secretsMountPath, archive: try archive(values, withNewKey: !hasKey))
                if !hasKey { logger.info("generated the settings key", metadata: ["tenant.id": "\(id)"]) }
            } catch {
                try? await client.removeContainer(id: filler.Id, force: true)
                throw error
            }
            try await client.removeContainer(id: filler.Id, force: true)
            await journal.record(description: "write secrets to volume \(volume.Name) (\(values))", undo: nil)
        } catch let error as TarArchive.Failure {
            throw TenantCtlError("writing the secrets of \(id): \(error)")
        } catch {
            throw TenantCtlError("writing the secrets of \(id)", error)
        }
    }

    /// Whether the volume already holds a settings key (never replaced once written).
    private func keyExists(container: String) async throws -> Bool {
        do {
            _ = try await client.archive(container: container, path: SecretKind.settingsKey.path)
            return true
        } catch DockerError.notFound {
            return false
        }
    }

    /// The files: every configured secret, an empty file for every other kind, and a fresh
    /// settings key when the volume has none.
    func archive(_ values: ProviderSecretValues, withNewKey: Bool) throws(TarArchive.Failure) -> [UInt8] {
        var entries: [TarArchive.Entry] = []
        for kind in SecretKind.allCases where kind != .settingsKey {
            entries.append(entry(kind, Array((values[kind] ?? "").utf8)))
        }
        if withNewKey { entries.append(entry(.settingsKey, Array(SecretGenerator.token(byteCount: 32).utf8))) }
        return try TarArchive.write(entries)
    }

    private func entry(_ kind: SecretKind, _ content: [UInt8]) -> TarArchive.Entry {
        TarArchive.Entry(
            name: kind.fileName, content: content, mode: Self.fileMode, uid: ProviderNames.imageUserID, gid: ProviderNames.imageUserID)
    }
}
