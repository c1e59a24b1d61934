import CQLClient
import CQLProtocol
import FoundationEssentials
import TenantModel
import TenantStorage

extension CassandraAdminStore: AlertStateStore {
    private struct AlertRecord: Codable {
        var offline: Bool
        var lowDay: String?
    }

    public func alertStates() async throws -> [String: GatewayAlertState] {
        try await wrap("alert state read") {
            var states: [String: GatewayAlertState] = [:]
            for (gateway, value) in try await rows("alert", Self.single) {
                guard let record = Self.decode(AlertRecord.self, value) else { continue }
                states[gateway] = GatewayAlertState(gateway: gateway, offline: record.offline, lowProductionDay: record.lowDay)
            }
            return states
        }
    }

    public func setAlertState(_ state: GatewayAlertState) async throws {
        try await wrap("alert state write") {
            try await put("alert", Self.single, state.gateway, try Self.encode(AlertRecord(offline: state.offline, lowDay: state.lowProductionDay)))
        }
    }
}
