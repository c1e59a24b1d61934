import TenantStorage

extension SQLiteAdminStore: CustomerStore {
    private static let customerColumns = "id, name, email, address, recipients, created_at"

    private static func customer(_ row: SQLiteRow) -> Customer {
        Customer(
            id: row.int64(0) ?? 0, name: row.string(1) ?? "", email: row.string(2), address: row.string(3),
            recipients: (row.string(4) ?? "").split(separator: ",").map(String.init), createdAt: row.int64(5) ?? 0)
    }

    public func customers() async throws -> [Customer] {
        try await database.read { db in
            try db.query("SELECT \(Self.customerColumns) FROM customers ORDER BY name COLLATE NOCASE, id").map(Self.customer)
        }
    }

    public func customer(id: Int64) async throws -> Customer? {
        try await database.read { db in
            try db.query("SELECT \(Self.customerColumns) FROM customers WHERE id = ?", [.integer(id)]).first.map(Self.customer)
        }
    }

    public func createCustomer(_ draft: CustomerDraft, at: EpochMillis) async throws -> Customer {
        try await database.write { db in
            try db.run(
                "INSERT INTO customers (name, email, address, recipients, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(draft.name), .text(draft.email), .text(draft.address), .text(draft.recipients.joined(separator: ",")), .integer(at)])
            return Customer(
                id: db.lastInsertRowID, name: draft.name, email: draft.email, address: draft.address,
                recipients: draft.recipients, createdAt: at)
        }
    }

    public func updateCustomer(id: Int64, _ draft: CustomerDraft) async throws -> Bool {
        try await database.write { db in
            try db.run(
                "UPDATE customers SET name = ?, email = ?, address = ?, recipients = ? WHERE id = ?",
                [.text(draft.name), .text(draft.email), .text(draft.address), .text(draft.recipients.joined(separator: ",")), .integer(id)]) > 0
        }
    }

    public func deleteCustomer(id: Int64) async throws -> Bool {
        try await database.write { db in
            try db.transaction {
                // Explicit, not only ON DELETE SET NULL: gateways is WITHOUT ROWID and the
                // intent should not depend on the foreign_keys pragma.
                try db.run("UPDATE gateways SET customer_id = NULL WHERE customer_id = ?", [.integer(id)])
                // The customer's own logins go with it: a later customer may get the same id.
                try db.run("DELETE FROM sessions WHERE staff IN (SELECT name FROM staff WHERE customer_id = ?)", [.integer(id)])
                try db.run("DELETE FROM staff WHERE customer_id = ?", [.integer(id)])
                return try db.run("DELETE FROM customers WHERE id = ?", [.integer(id)]) > 0
            }
        }
    }
}
