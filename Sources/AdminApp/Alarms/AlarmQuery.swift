import TenantStorage

/// Which alarms a list shows and which page of them: the panel's `/alarms` and the API's
/// `GET /api/v1/alarms` read the same parameters, `state`, `gateway`, `customer` and `page`.
struct AlarmQuery: Sendable, Hashable {
    /// The `state` parameter: one state, `active` (open and acknowledged, the default) or `all`.
    enum StateChoice: String, CaseIterable, Sendable {
        case active, open, acknowledged, cleared, all

        var states: Set<AlarmState> {
            switch self {
            case .active: [.open, .acknowledged]
            case .open: [.open]
            case .acknowledged: [.acknowledged]
            case .cleared: [.cleared]
            case .all: Set(AlarmState.allCases)
            }
        }

        var label: String { self == .active ? "open + acknowledged" : rawValue }
    }

    var state = StateChoice.active
    var gateway: String?
    var customer: Int64?
    var page = 1

    static let pageSize = 50

    init(state: StateChoice = .active, gateway: String? = nil, customer: Int64? = nil) {
        self.state = state
        self.gateway = gateway
        self.customer = customer
    }

    /// Reads the parameters; a bad value is an input problem naming its field.
    init(_ form: FormData) throws(AdminError) {
        if let text = form.text("state") {
            guard let value = StateChoice(rawValue: text) else {
                throw .badRequest("state must be one of \(StateChoice.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            state = value
        }
        if let text = form.text("gateway") {
            guard text.count <= 200 else { throw .badRequest("gateway is longer than 200 characters", field: "gateway") }
            gateway = text
        }
        // Any number: alarms keep the customer they opened under, also after it was deleted.
        if let text = form.text("customer"), text != "any" {
            guard let value = Int64(text) else { throw .badRequest("customer must be a customer id (a number)", field: "customer") }
            customer = value
        }
        if let text = form.text("page") {
            guard let value = Int(text), value >= 1, value <= 100_000 else { throw .badRequest("page must be a number from 1", field: "page") }
            page = value
        }
    }

    var filter: AlarmFilter { AlarmFilter(states: state.states, gateway: gateway, customerID: customer) }

    /// This query's panel URL on another page.
    func link(page: Int = 1) -> String {
        var parts: [String] = []
        if state != .active { parts.append("state=" + state.rawValue) }
        if let gateway { parts.append("gateway=" + gateway.percentEncoded) }
        if let customer { parts.append("customer=\(customer)") }
        if page > 1 { parts.append("page=\(page)") }
        return parts.isEmpty ? "/alarms" : "/alarms?" + parts.joined(separator: "&")
    }
}
