import DockerAPI
import DockerClient
import GatewayTLS
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
                var values = values
                var newAuthority: PEMPair?
                if let tls = settings.gatewayTLS, tls.generated {
                    // The CA is made once and kept: gateways trust it. The server certificate
                    // is issued again on every run (same CA, the hosts asked for now).
                    let authority: GatewayCertificateAuthority
                    if let kept = try await Self.gatewayAuthority(client: client, container: filler.Id) {
                        authority = kept
                    } else {
                        authority = try GatewayCertificateAuthority(name: id.rawValue)
                        newAuthority = authority.pem
                        logger.info("generated the gateway CA", metadata: ["tenant.id": "\(id)"])
                    }
                    let server = try authority.issueServer(hosts: tls.hosts)
                    // A chain is PEM blocks one per line: swift-certificates' PEM has no final newline,
                    // and "-----END CERTIFICATE----------BEGIN" is not a chain tenant-ingest can read.
                    values[.gatewayTLSCertificate] = [server.certificate, authority.pem.certificate]
                        .map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
                    values[.gatewayTLSKey] = server.privateKey
                }
                try await client.putArchive(
                    container: filler.Id, path: ProviderNames.secretsMountPath,
                    archive: try archive(values, withNewKey: !hasKey, newAuthority: newAuthority))
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

    /// The files: every configured secret, an empty file for every other kind, a fresh
    /// settings key when the volume has none, a new gateway CA when one was made.
    func archive(_ values: ProviderSecretValues, withNewKey: Bool, newAuthority: PEMPair? = nil) throws(TarArchive.Failure) -> [UInt8] {
        var entries: [TarArchive.Entry] = []
        for kind in SecretKind.allCases where !kind.isKeptInVolume {
            entries.append(entry(kind, Array((values[kind] ?? "").utf8)))
        }
        if withNewKey { entries.append(entry(.settingsKey, Array(SecretGenerator.token(byteCount: 32).utf8))) }
        if let newAuthority {
            entries.append(entry(.gatewayCACertificate, Array(newAuthority.certificate.utf8)))
            entries.append(entry(.gatewayCAKey, Array(newAuthority.privateKey.utf8)))
        }
        return try TarArchive.write(entries)
    }

    /// The provider's gateway CA kept in the volume `container` mounts, nil when it has none.
    static func gatewayAuthority(client: DockerClient, container: String) async throws -> GatewayCertificateAuthority? {
        guard let certificate = try await secretFile(client: client, container: container, kind: .gatewayCACertificate),
            let key = try await secretFile(client: client, container: container, kind: .gatewayCAKey)
        else { return nil }
        do {
            return try GatewayCertificateAuthority(pem: PEMPair(certificate: certificate, privateKey: key))
        } catch {
            throw TenantCtlError("the gateway CA in the secrets volume cannot be used (\(error)); remove the provider's secrets volume to make a new one")
        }
    }

    /// One secret file's text from the volume `container` mounts; nil when absent or empty.
    static func secretFile(client: DockerClient, container: String, kind: SecretKind) async throws -> String? {
        var archive: [UInt8] = []
        do {
            archive = try await client.archive(container: container, path: kind.path)
        } catch {
            if case .notFound = error { return nil }
            throw error
        }
        guard let entry = try TarArchive.read(archive).first(where: { $0.name.hasSuffix(kind.fileName) }), !entry.content.isEmpty else { return nil }
        return String(decoding: entry.content, as: UTF8.self)
    }

    private func entry(_ kind: SecretKind, _ content: [UInt8]) -> TarArchive.Entry {
        TarArchive.Entry(
            name: kind.fileName, content: content, mode: Self.fileMode, uid: ProviderNames.imageUserID, gid: ProviderNames.imageUserID)
    }
}
