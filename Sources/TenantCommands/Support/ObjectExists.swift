import DockerClient

/// Whether the object that `inspect` looks up exists: the engine's `notFound` is `false`,
/// any other failure a ``TenantCtlError`` that names the inspection.
func objectExists(_ inspect: () async throws -> some Sendable) async throws -> Bool {
    do {
        _ = try await inspect()
        return true
    } catch DockerError.notFound {
        return false
    } catch {
        throw TenantCtlError("inspecting", error)
    }
}
