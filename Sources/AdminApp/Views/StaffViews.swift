import TenantStorage
import TenantTime
import TextFormat

extension Views {
    static func staff(_ accounts: [TenantStorageStaff], context: AdminRequestContext, flash: HTML) -> HTML {
        var html: HTML = flash + "<table id=\"staff\"><tr><th>Name</th><th>Since</th><th>API token</th><th></th></tr>"
        for a in accounts {
            let remove: HTML = a.name == context.staff ? "<span class=\"muted\">you</span>"
                : "<form method=\"post\" action=\"/staff/\(a.name)/delete\" class=\"inline\">\(Pages.csrfField(context))<button class=\"danger\">Remove</button></form>"
            html += "<tr><td>\(a.name)</td><td>\(TimeFormat.day(a.createdAt, in: .utc))</td><td>\(a.hasAPIToken ? "yes" : "–")</td><td>\(remove)</td></tr>"
        }
        html += "</table><h2>Add a staff account</h2><form method=\"post\" action=\"/staff\" class=\"stack\">\(Pages.csrfField(context))"
        html += "<label>Name <input name=\"name\" required maxlength=\"32\" pattern=\"[A-Za-z0-9._\\-]{1,32}\"></label>"
        html += "<label>Initial password <span>at least 10 characters; they change it on their account page</span><input name=\"password\" type=\"password\" minlength=\"10\" required autocomplete=\"new-password\"></label><button>Add account</button></form>"
        return html
    }
}
