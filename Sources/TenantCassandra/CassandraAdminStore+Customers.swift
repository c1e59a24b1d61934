import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: CustomerStore {
    public func customers() async throws -> [Customer] {
        try await wrap("customers read") {
            try await rows("customer", Self.single).compactMap { Self.decode(Customer.self, $0.value) }
                .sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        }
    }

    public func customer(id: Int64) async throws -> Customer? {
        try await wrap("customer read") {
            try await value("customer", Self.single, Self.numericKey(id)).flatMap { Self.decode(Customer.self, $0) }
        }
    }

    public func createCustomer(_ draft: CustomerDraft, at: EpochMillis) async throws -> Customer {
        try await wrap("customer write") {
            let customer = Customer(
                id: Self.newID(), name: draft.name, email: draft.email, address: draft.address, recipients: draft.recipients, createdAt: at)
            try await put("customer", Self.single, Self.numericKey(customer.id), try Self.encode(customer))
            return customer
        }
    }

    public func updateCustomer(id: Int64, _ draft: CustomerDraft) async throws -> Bool {
        try await wrap("customer write") {
            guard var customer = try await customer(id: id) else { return false }
            customer.name = draft.name
            customer.email = draft.email
            customer.address = draft.address
            customer.recipients = draft.recipients
            try await put("customer", Self.single, Self.numericKey(id), try Self.encode(customer))
            return true
        }
    }

    public func deleteCustomer(id: Int64) async throws -> Bool {
        try await wrap("customer delete") {
            guard try await customer(id: id) != nil else { return false }
            // Unassign first: a gateway pointing at a deleted customer would be worse than a
            // customer that briefly has no gateways.
            let unassign = try await client.prepare("UPDATE \(ks).gateways SET customer_id = ? WHERE id = ?")
            for gateway in try await gateways() where gateway.customerID == id {
                _ = try await client.execute(unassign, [.null, .text(gateway.id)], consistency: consistency)
            }
            // The customer's own logins go with it: a later customer may get the same id.
            for account in try await staffAccounts() where account.role == .customer(id) {
                _ = try await deleteStaff(name: account.name)
            }
            try await remove("customer", Self.single, Self.numericKey(id))
            return true
        }
    }
}
