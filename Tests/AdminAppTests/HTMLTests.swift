import TenantStorage
import Testing
@testable import AdminApp

/// ``HTML``: text that goes in by interpolation is escaped; markup built as `HTML` is not.
@Suite struct HTMLTests {
    static let hostile = "<script>alert('x') & \"y\"</script>"
    static let escaped = "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"

    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let cell: HTML = "<td>\(Self.hostile)</td>"
        #expect(cell.markup == "<td>\(Self.escaped)</td>")
        let row: HTML = "<tr>\(cell)<td>\(42)</td><td>\(Self.hostile.dropFirst(8))</td></tr>"
        #expect(row.markup == "<tr><td>\(Self.escaped)</td><td>42</td><td>alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</td></tr>")
        var page = HTML()
        page += cell
        page += "<br>"
        #expect(page.markup == "<td>\(Self.escaped)</td><br>")
        #expect(([cell, "<hr>"] as [HTML]).joined(separator: "\n").markup == "<td>\(Self.escaped)</td>\n<hr>")
    }

    /// Escaping copies the runs between the five characters as UTF-8 bytes: text around them in
    /// other scripts, combining marks and emoji comes through whole, at either end.
    @Test func textAroundEscapedCharactersKeepsEveryScalar() {
        let text = "Ünïcode <b>Солнце</b> & e\u{301}☀️'"
        let html: HTML = "\(text)"
        #expect(html.markup == "Ünïcode &lt;b&gt;Солнце&lt;/b&gt; &amp; e\u{301}☀️&#39;")
        #expect(("\("&")" as HTML).markup == "&amp;")
        #expect(("\("")" as HTML).markup == "")
        #expect(("\("日本")" as HTML).markup == "日本")
    }

    @Test func pagesEscapeWhatTheStoreHolds() {
        let fields = Views.customerFields(Customer(id: 1, name: Self.hostile, email: nil, address: nil, recipients: [], createdAt: 0), form: .fresh)
        #expect(fields.markup.contains("value=\"\(Self.escaped)\""))
        #expect(!fields.markup.contains("<script>"))
        // Values typed into a refused form are escaped the same way.
        let typed = Views.customerFields(nil, form: FormState(values: try? FormData(parsing: "name=%3Cscript%3E"), error: AdminError(.badRequest, "<b>", field: "name")))
        #expect(typed.markup.contains("value=\"&lt;script&gt;\"") && typed.markup.contains("&lt;b&gt;") && !typed.markup.contains("<script>"))
    }
}
