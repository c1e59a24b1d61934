import TenantStorage

extension SQLiteAdminStore: SettingsStore {
    public func settings() async throws -> [String: String] {
        try await database.read { db in
            var values: [String: String] = [:]
            for row in try db.query("SELECT key, value FROM settings") {
                if let key = row.string(0), let value = row.string(1) { values[key] = value }
            }
            return values
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await database.read { db in try db.query("SELECT value FROM settings WHERE key = ?", [.text(key)]).first?.string(0) }
    }

    public func setSettings(_ values: [String: String]) async throws {
        try await database.write { db in
            try db.transaction {
                for (key, value) in values {
                    try db.run(
                        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [.text(key), .text(value)])
                }
            }
        }
    }
}
