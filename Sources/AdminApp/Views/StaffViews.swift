import TenantStorage
import TenantTime
import TextFormat

extension Views {
    static func staff(_ accounts: [TenantStorageStaff], customers: [Customer], context: AdminRequestContext, flash: HTML, form: FormState = .fresh) -> HTML {
        let names = Dictionary(customers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var html: HTML = flash + "<div class=\"scroll\"><table id=\"staff\"><tr><th>Name</th><th>Role</th><th>Since</th><th>API token</th><th></th></tr>"
        for a in accounts {
            let remove: HTML = a.name == context.staff ? "<span class=\"muted\">you</span>"
                : Pages.changing(context, "<form method=\"post\" action=\"/staff/\(a.name)/delete\" class=\"inline\" id=\"remove-\(a.name)\">\(Pages.csrfField(context))<button class=\"danger\">Remove…</button></form>")
            let role: HTML = switch a.role {
            case .admin: "admin"
            case .viewer: "viewer (read-only)"
            case .customer(let id): "customer login: <a href=\"/customers/\(id)\">\(names[id] ?? "#\(id)")</a>"
            }
            html += "<tr><td>\(a.name)</td><td class=\"role\">\(role)</td><td>\(TimeFormat.day(a.createdAt, in: .utc)) (UTC)</td><td>\(a.hasAPIToken ? "yes" : "–")</td><td>\(remove)</td></tr>"
        }
        html += "</table></div>"
        guard context.canChange else { return html }
        html += "<h2 id=\"add-staff\">Add an account</h2>" + form.general(fields: ["name", "password", "role", "customer"])
        html += "<form method=\"post\" action=\"/staff\" class=\"stack\" id=\"staff-form\">\(Pages.csrfField(context))"
        html += form.input("name", "Name", stored: "", attributes: " required maxlength=\"32\" pattern=\"[A-Za-z0-9._\\-]{1,32}\"")
        html += "<label>Initial password <span>at least 10 characters; they change it on their account page</span><input name=\"password\" type=\"password\" minlength=\"10\" required autocomplete=\"new-password\"\(form.invalid("password"))>\(form.problem("password"))</label>"
        let role = form.value("role", "admin"), chosen = form.value("customer", "")
        let roles: [(String, String)] = [("admin", "admin: everything"), ("viewer", "viewer: sees everything, changes nothing"), ("customer", "customer login: one customer's sites and reports")]
        html += "<label>Role <select name=\"role\"\(form.invalid("role"))>" + roles.map { value, label -> HTML in "<option value=\"\(value)\"\(value == role ? " selected" : "")>\(label)</option>" }.joined() + "</select>\(form.problem("role"))</label>"
        html += "<label>Customer <span>for a customer login only</span><select name=\"customer\"\(form.invalid("customer"))><option value=\"\">–</option>"
            + customers.map { c -> HTML in "<option value=\"\(c.id)\"\(String(c.id) == chosen ? " selected" : "")>\(c.name)</option>" }.joined() + "</select>\(form.problem("customer"))</label>"
        html += "<button>Add account</button></form>"
        return html
    }
}
