import Hummingbird
import TenantStorage

/// The page frame shared by every screen, and the error page.
enum Pages {
    static func csrfField(_ context: AdminRequestContext) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(context.csrfToken)\">"
    }

    /// Seconds between automatic reloads of overview pages (a plain meta refresh: no
    /// script); `?refresh=off` stops it, e.g. while reading a long list.
    static let refreshInterval = 60

    static func refreshSeconds(_ query: FormData) -> Int? {
        query.text("refresh") == "off" ? nil : refreshInterval
    }

    static func page(_ title: String, context: AdminRequestContext, active: String = "", status: HTTPResponse.Status = .ok, refresh: Int? = nil, _ body: HTML) -> Response {
        var nav = HTML()
        if let staff = context.staff {
            let items = navigation(context.role)
            nav = "<nav><a class=\"brand\" href=\"/\">tenantctl</a>"
                + items.map { item -> HTML in "<a href=\"\(item.0)\"\(item.1 == active ? " class=\"active\"" as HTML : "")>\(item.1)</a>" }.joined()
                + "<span class=\"spacer\"></span><a href=\"/account\">\(staff)</a>"
                + "<form method=\"post\" action=\"/logout\" class=\"inline\">\(csrfField(context))<button class=\"link\">Sign out</button></form></nav>"
        }
        let html: HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\(refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" as HTML } ?? HTML())
            <title>\(title) · tenantctl admin</title><link rel="stylesheet" href="/static/admin.css"></head>
            <body>\(nav)<main><h1>\(title)</h1>
            \(body)
            </main></body></html>
            """
        return HTML.response(html, status: status)
    }

    /// The pages a role reaches (see ``AccessPolicy``).
    static func navigation(_ role: StaffRole?) -> [(String, String)] {
        if let customer = role?.customerID { return [("/customers/\(customer)", "My sites"), ("/reports?customer=\(customer)", "Reports")] }
        return [("/", "Dashboard"), ("/customers", "Customers"), ("/gateways", "Gateways"), ("/alarms", "Alarms"), ("/reports", "Reports"), ("/settings", "Settings"), ("/limits", "Limits"), ("/staff", "Staff")]
    }

    /// `form` where the signed-in account may send it (admins), nothing elsewhere: pages
    /// offer no change a viewer or customer login would only be refused.
    static func changing(_ context: AdminRequestContext, _ form: HTML) -> HTML {
        context.canChange ? form : HTML()
    }

    /// ` disabled` for a fieldset of settings a viewer may read but not change.
    static func readOnly(_ context: AdminRequestContext) -> HTML {
        context.canChange ? HTML() : " disabled"
    }

    static func error(_ error: AdminError, context: AdminRequestContext) -> Response {
        page("Error \(error.status.code)", context: context, status: error.status,
             "<p class=\"error\">\(error.message)</p><p><a href=\"/\">Dashboard</a></p>")
    }

    static func flash(_ query: FormData?) -> HTML {
        guard let query else { return HTML() }
        var out = HTML()
        if let message = query.text("ok") { out += "<p class=\"ok\">\(message)</p>" }
        if let message = query.text("error") { out += "<p class=\"error\">\(message)</p>" }
        return out
    }
}

/// The one stylesheet, compiled into the binary: nothing is fetched from elsewhere.
enum Stylesheet {
    static let css = """
        :root { --fg:#1d2430; --muted:#667085; --line:#d9dee7; --accent:#1f6feb; --ok:#1a7f37; --bad:#c62828; --warn:#b26a00; --bg:#f6f8fb; }
        * { box-sizing: border-box; }
        body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); overflow-wrap:anywhere; }
        nav { display:flex; flex-wrap:wrap; gap:.3rem 1rem; align-items:center; padding:.6rem 1.5rem; background:#0f1b2d; }
        nav a, nav button.link { color:#c9d4e5; text-decoration:none; }
        nav a.active, nav a:hover { color:#fff; }
        nav .brand { font-weight:700; color:#fff; margin-right:1rem; }
        nav .spacer { flex:1; }
        main { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 3rem; }
        h1 { font-size:1.5rem; margin:.5rem 0 1rem; } h2 { font-size:1.15rem; margin:1.5rem 0 .5rem; }
        .scroll { overflow-x:auto; max-width:100%; margin-bottom:.5rem; }
        table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); overflow-wrap:normal; }
        th, td { text-align:left; padding:.4rem .6rem; border-bottom:1px solid var(--line); }
        th { background:#eef2f7; font-weight:600; } td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
        th a { color:inherit; }
        tr.severity-1 td:first-child { border-left:4px solid var(--bad); } tr.severity-2 td:first-child { border-left:4px solid var(--warn); } tr.severity-3 td:first-child { border-left:4px solid #8a94a6; }
        .sev-1 { color:var(--bad); font-weight:600; } .sev-2 { color:var(--warn); font-weight:600; } .sev-3 { color:var(--muted); }
        .cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:1rem; margin-bottom:1rem; }
        .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; min-width:0; }
        .card .value { font-size:1.7rem; font-weight:700; } .card .label { color:var(--muted); }
        .online { color:var(--ok); } .offline { color:var(--bad); } .unassigned { color:var(--warn); }
        .ok { color:var(--ok); background:#e8f5ec; padding:.5rem .8rem; border-radius:6px; }
        .error { color:var(--bad); background:#fdecec; padding:.5rem .8rem; border-radius:6px; }
        .field-error { color:var(--bad); font-weight:600; font-size:.9em; }
        input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"] { border-color:var(--bad); outline:1px solid var(--bad); }
        .secret { font-family: ui-monospace, monospace; background:#fff8d6; padding:.5rem .8rem; border:1px dashed var(--warn); word-break:break-all; }
        form.stack { display:grid; gap:.6rem; width:100%; max-width:520px; background:#fff; border:1px solid var(--line); padding:1rem; border-radius:8px; }
        form.inline { display:inline; }
        label { display:grid; gap:.2rem; font-weight:600; min-width:0; } label span { font-weight:400; color:var(--muted); font-size:.9em; }
        input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid var(--line); border-radius:5px; max-width:100%; min-width:0; }
        form.stack input:not([type=checkbox]), form.stack select, form.stack textarea { width:100%; }
        form.stack > fieldset { display:grid; gap:.6rem; border:0; margin:0; padding:0; min-width:0; }
        fieldset[disabled] button { display:none; }
        button { font:inherit; padding:.4rem .9rem; border:0; border-radius:5px; background:var(--accent); color:#fff; cursor:pointer; }
        button.danger { background:var(--bad); } button.link { background:none; padding:0; } a.button { display:inline-block; padding:.4rem .9rem; border:1px solid var(--line); border-radius:5px; background:#fff; }
        .row { display:flex; gap:.6rem; flex-wrap:wrap; align-items:end; margin-bottom:.6rem; }
        .chart { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.5rem; }
        .chart svg { width:100%; height:auto; display:block; }
        .chart .narrow { display:none; }
        .tabs a { margin-right:.8rem; } .tabs a.active { font-weight:700; text-decoration:none; color:var(--fg); }
        .muted { color:var(--muted); }
        .checklist li { margin:.3rem 0; } .checklist .done { color:var(--ok); }
        .pager a, .pager span { margin-right:.6rem; }
        code { overflow-wrap:anywhere; }
        @media (max-width: 800px) {
          .chart .wide { display:none; } .chart .narrow { display:block; max-width:560px; }
        }
        @media (max-width: 640px) {
          nav { padding:.5rem .8rem; gap:.3rem .8rem; }
          nav .brand { margin-right:0; } nav .spacer { display:none; }
          main { padding:.8rem .6rem 2rem; }
          .chart { padding:.2rem; }
          .card .value { font-size:1.35rem; }
          th, td { padding:.35rem .45rem; }
        }
        """
}
