import DockerAPI
import DockerClient
import Foundation
import TenantModel
import TenantPlan

/// A short-lived `tenant-admin` container on a provider's store, for the maintenance jobs
/// (`reset-password`, `backup`, `restore`): the provider's own image, its data volume or
/// keyspace, no published port. Files move in and out with the engine's archive endpoints,
/// so the jobs work against a remote engine as well as a local one.
struct ProviderJob: Sendable {
    /// What a finished job said.
    struct Outcome: Sendable {
        /// The container's exit code.
        var exitCode: Int
        /// Its output (stdout and stderr), trimmed.
        var output: String

        /// The last line, the one the job writes for the operator.
        var lastLine: String { output.split(separator: "\n").last.map(String.init) ?? "no output" }
    }

    let client: DockerClient
    let provider: ProviderID
    /// Container name, `tenantctl_<job>_<id>`.
    let name: String
    let request: ContainerCreateRequest

    /// A job running `arguments` after `tenant-admin`, with `environment` added, shaped after
    /// the provider's admin container (image, store, mounts, network).
    static func make(
        client: DockerClient, provider: ProviderID, job: String, arguments: [String], environment: [String] = []
    ) async throws -> ProviderJob {
        let admin = ProviderNames.container(.admin, provider)
        let inspect: ContainerInspect
        do { inspect = try await client.inspectContainer(id: admin) } catch .notFound {
            throw TenantCtlError("provider \(provider) has no admin container (\(admin)): run `tenantctl start-provider \(provider)` first", exitCode: ExitStatus.notFound)
        } catch {
            throw TenantCtlError("inspecting \(admin)", error)
        }
        guard let image = inspect.Config?.Image else { throw TenantCtlError("\(admin) names no image") }
        let labels = inspect.Config?.Labels ?? [:]
        // The store URL is on a label for Cassandra providers; SQLite providers use the file on their volume.
        let store = labels[PlanLabels.store] ?? StoreChoice.sqlite.storeURL(for: provider)
        let request = ContainerCreateRequest(
            Image: image,
            Cmd: ["tenant-admin"] + arguments,
            Env: ["TENANT_PROVIDER=\(provider)", "TENANT_STORE=\(store)"] + environment,
            Labels: Planner.labels(provider, .db),
            Tty: false,
            HostConfig: HostConfig(
                Mounts: inspect.HostConfig?.Mounts,
                // A file store needs no network; a keyspace is reached where the admin app reaches it.
                NetworkMode: labels[PlanLabels.store] == nil ? "none" : inspect.HostConfig?.NetworkMode))
        return ProviderJob(client: client, provider: provider, name: "tenantctl_\(job)_\(provider)", request: request)
    }

    /// The provider's store kind from its admin container's labels: a job on files needs SQLite.
    static func isSQLite(_ request: ContainerCreateRequest) -> Bool {
        request.Env?.contains { $0.hasPrefix("TENANT_STORE=sqlite:") } ?? false
    }

    /// Creates the container, uploads `upload` (a tar for directory `into`), runs it to the
    /// end, and on exit 0 calls `collect` with the stopped container's id (to download what
    /// it wrote). The container is removed in every case.
    func run(
        upload: (into: String, tar: Data)? = nil, timeout: Duration = .seconds(600),
        collect: (@Sendable (String) async throws -> Void)? = nil
    ) async throws -> Outcome {
        // A leftover from an interrupted run would block the name; a running one is another run's job.
        do {
            if try await client.inspectContainer(id: name).State.Running == true {
                throw TenantCtlError("\(name) is running: another tenantctl run is working on \(provider); try again when it ends", exitCode: ExitStatus.conflict)
            }
            try await client.removeContainer(id: name, force: true)
        } catch DockerError.notFound {
        } catch let error as TenantCtlError {
            throw error
        } catch {
            throw TenantCtlError("removing leftover \(name)", error)
        }
        let id: String
        do { id = try await client.createContainer(name: name, request).Id } catch { throw TenantCtlError("creating \(name)", error) }
        do {
            if let upload {
                do { try await client.putArchive(id: id, path: upload.into, archive: upload.tar) } catch { throw TenantCtlError("uploading into \(name)", error) }
            }
            let code: Int
            do {
                try await client.startContainer(id: id)
                code = try await client.waitContainer(id: id, timeout: timeout).StatusCode
            } catch {
                throw TenantCtlError("running \(name)", error)
            }
            var demuxer = LogDemuxer()
            let output = demuxer.feed((try? await client.logs(id: id, tail: 50)) ?? [])
                .map { String(decoding: $0.payload, as: UTF8.self) }.joined()
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let outcome = Outcome(exitCode: code, output: output)
            if code == 0, let collect { try await collect(id) }
            try? await client.removeContainer(id: id, force: true)
            return outcome
        } catch {
            try? await client.removeContainer(id: id, force: true)
            throw error
        }
    }
}

extension ProviderJob.Outcome {
    /// The job's error line without the program's prefix.
    var reason: String {
        let line = lastLine
        return line.hasPrefix("tenant-admin: error: ") ? String(line.dropFirst("tenant-admin: error: ".count)) : line
    }

    /// Throws for a failed job: its exit code mapped to tenantctl's (3 not found, 4 conflict,
    /// 64 from an image whose tenant-admin predates the job), with its error line.
    func check(_ what: String, image: String?) throws {
        switch exitCode {
        case 0: return
        case 3: throw TenantCtlError("\(what): \(reason)", exitCode: ExitStatus.notFound)
        case 4: throw TenantCtlError("\(what): \(reason)", exitCode: ExitStatus.conflict)
        case 64:
            // The argument parser's first line names the option it does not know.
            let first = output.split(separator: "\n").first.map(String.init) ?? reason
            throw TenantCtlError(
                "\(what): the provider's image \(image ?? "") has a tenant-admin without this job (\(first)); start the provider with a newer image first")
        default: throw TenantCtlError("\(what): \(reason) (exit \(exitCode))")
        }
    }
}
