import FoundationEssentials
import Hummingbird
import TextFormat

/// HTML building with escaping: every value from the store or the request goes through
/// ``HTML/escape(_:)`` (or the `h` shorthand) before it reaches a page.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// Escapes `text` for HTML text and attribute values.
func h(_ text: String) -> String { HTML.escape(text) }

/// Number formatting for people: "1 834 W", "15.2 kWh".
enum Units {
    static func power(_ watts: Double) -> String {
        abs(watts) >= 10_000 ? fixed(watts / 1000, 1) + " kW" : fixed(watts, 0) + " W"
    }

    static func energy(_ wh: Double) -> String {
        abs(wh) >= 10_000 ? fixed(wh / 1000, 1) + " kWh" : fixed(wh, 0) + " Wh"
    }

    static func optional(_ value: Double?, _ unit: String, digits: Int = 1) -> String {
        value.map { fixed($0, digits) + " " + unit } ?? "–"
    }
}
