import DockerClient
import Synchronization

@testable import TenantCommands

/// How one in-process tenantctl run ended.
struct TenantctlRun {
    var code: Int32
    var out: String
    var err: String
}

/// What a run printed on stdout and stderr.
final class Capture: Sendable {
    let out = Mutex("")
    let err = Mutex("")
}

/// tenantctl in-process with the real libcurl transport (`DOCKER_HOST` or the local socket),
/// as the executable runs it; output captured, never interactive.
func tenantctl(_ arguments: [String]) async -> TenantctlRun {
    let capture = Capture()
    let console = Console(
        out: { text in capture.out.withLock { $0 += text } }, err: { text in capture.err.withLock { $0 += text } },
        isInteractive: { false }, readLine: { nil })
    let code = await Console.$current.withValue(console) { await TenantCtl.run(arguments: arguments) }
    return TenantctlRun(code: code, out: capture.out.withLock { $0 }, err: capture.err.withLock { $0 })
}

/// Removes the secrets volumes of providers removed without `--purge-data` (a Cassandra
/// provider whose cluster cannot be reached cannot be purged, and `remove` keeps its secrets
/// with its data), so a test leaves nothing on the engine.
func removeSecretsVolumes(_ ids: [String]) async {
    guard let client = try? await DockerClient.connect(transport: CurlTransport.fromEnvironment()) else { return }
    for id in ids { try? await client.removeVolume(name: "tenantctl_\(id)_secrets") }
}
