import TenantStorage

extension SQLiteAdminStore: MemoryReleasing {
    public func releaseMemory() async { await database.releaseMemory() }
}
