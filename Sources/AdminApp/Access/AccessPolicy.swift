import Hummingbird
import TenantStorage

/// Who may reach which page and API route: the one place the panel's roles are decided.
///
/// - admins: everything;
/// - viewers: every page and API read (GET), and their own account and API token;
/// - customer logins: their customer's page, that customer's gateways with their charts,
///   that customer's reports, and their own account; no API.
///
/// Routes not named here are refused to every role but admins, so a new route is closed
/// to viewers' changes and to customers until it is added.
enum AccessPolicy {
    enum Decision: Equatable {
        case allow
        case deny(String)
        /// Allowed when the gateway belongs to the customer (the store is asked).
        case allowIfGatewayOf(customer: Int64, gateway: String)
        /// Sent elsewhere (a customer's start page and report are their own).
        case redirect(String)
    }

    /// Routes every signed-in account has: its own password and the sign-out.
    private static let ownAccount: Set<String> = ["/account", "/account/password", "/logout"]

    static func decide(_ method: HTTPRequest.Method, path: String, query: FormData, role: StaffRole) -> Decision {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if ownAccount.contains(path) { return .allow }
        switch role {
        case .admin:
            return .allow
        case .viewer:
            // Pages that are only a form to change something are closed too.
            let formPages = path == "/gateways/new" || (path.hasPrefix("/gateways/") && path.hasSuffix("/delete"))
            // Their own API token, for scripts that read.
            if path == "/account/token" { return .allow }
            guard method == .get || method == .head, !formPages else {
                return .deny("your account can look but not change anything; ask an admin")
            }
            return .allow
        case .customer(let customer):
            return customerDecision(method, path: path, query: query, customer: customer)
        }
    }

    private static func customerDecision(_ method: HTTPRequest.Method, path: String, query: FormData, customer: Int64) -> Decision {
        let refused = Decision.deny("this page is not part of your account")
        guard method == .get || method == .head else { return refused }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        switch parts.count {
        case 0:
            return .redirect("/customers/\(customer)")
        case 1 where parts[0] == "reports":
            // The report reads `gateway` first, then `customer`, then `scope`: each is checked.
            if let gateway = query.text("gateway") { return .allowIfGatewayOf(customer: customer, gateway: gateway) }
            guard query.text("scope") == nil else { return refused }
            guard let asked = query.text("customer") else { return .redirect("/reports?customer=\(customer)") }
            return asked == String(customer) ? .allow : refused
        case 2 where parts[0] == "customers":
            return parts[1] == String(customer) ? .allow : refused
        case 2 where parts[0] == "gateways" && parts[1] != "new":
            return .allowIfGatewayOf(customer: customer, gateway: String(parts[1]))
        case 3 where parts[0] == "gateways" && parts[2] == "chart.svg":
            return .allowIfGatewayOf(customer: customer, gateway: String(parts[1]))
        default:
            return refused
        }
    }
}
