import TenantStorage
import TenantTime
import TextFormat

extension Views {
    static func staff(_ accounts: [TenantStorageStaff], context: AdminRequestContext, flash: HTML, form: FormState = .fresh) -> HTML {
        var html: HTML = flash + "<div class=\"scroll\"><table id=\"staff\"><tr><th>Name</th><th>Since</th><th>API token</th><th></th></tr>"
        for a in accounts {
            let remove: HTML = a.name == context.staff ? "<span class=\"muted\">you</span>"
                : "<form method=\"post\" action=\"/staff/\(a.name)/delete\" class=\"inline\" id=\"remove-\(a.name)\">\(Pages.csrfField(context))<button class=\"danger\">Remove…</button></form>"
            html += "<tr><td>\(a.name)</td><td>\(TimeFormat.day(a.createdAt, in: .utc)) (UTC)</td><td>\(a.hasAPIToken ? "yes" : "–")</td><td>\(remove)</td></tr>"
        }
        html += "</table></div><h2 id=\"add-staff\">Add a staff account</h2>" + form.general(fields: ["name", "password"])
        html += "<form method=\"post\" action=\"/staff\" class=\"stack\" id=\"staff-form\">\(Pages.csrfField(context))"
        html += form.input("name", "Name", stored: "", attributes: " required maxlength=\"32\" pattern=\"[A-Za-z0-9._\\-]{1,32}\"")
        html += "<label>Initial password <span>at least 10 characters; they change it on their account page</span><input name=\"password\" type=\"password\" minlength=\"10\" required autocomplete=\"new-password\"\(form.invalid("password"))>\(form.problem("password"))</label><button>Add account</button></form>"
        return html
    }
}
