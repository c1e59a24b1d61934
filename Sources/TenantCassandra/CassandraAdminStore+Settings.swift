import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: SettingsStore {
    public func settings() async throws -> [String: String] {
        try await wrap("settings read") { try await settingsStore.settings() }
    }

    public func setting(_ key: String) async throws -> String? {
        try await wrap("settings read") { try await settingsStore.setting(key) }
    }

    public func setSettings(_ values: [String: String]) async throws {
        try await wrap("settings write") { try await settingsStore.setSettings(values) }
    }
}

extension CassandraSettingsStore: SettingsStore {}
