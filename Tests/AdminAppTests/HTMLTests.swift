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

    @Test func pagesEscapeWhatTheStoreHolds() {
        let fields = Views.customerFields(Customer(id: 1, name: Self.hostile, email: nil, address: nil, recipients: [], createdAt: 0), form: .fresh)
        #expect(fields.markup.contains("value=\"\(Self.escaped)\""))
        #expect(!fields.markup.contains("<script>"))
        // Values typed into a refused form are escaped the same way.
        let typed = Views.customerFields(nil, form: FormState(values: try? FormData(parsing: "name=%3Cscript%3E"), error: AdminError(.badRequest, "<b>", field: "name")))
        #expect(typed.markup.contains("value=\"&lt;script&gt;\"") && typed.markup.contains("&lt;b&gt;") && !typed.markup.contains("<script>"))
    }
}
