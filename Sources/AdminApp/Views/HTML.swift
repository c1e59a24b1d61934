import FoundationEssentials
import Hummingbird

/// Markup that is safe to send. Its only ways in are string literals in this module's
/// source, which are trusted, and interpolation, which escapes every `String` and passes
/// only `HTML` (and numbers) through as they are. There is no initializer from a run-time
/// `String`, so text from the store or the request cannot reach a page unescaped.
struct HTML: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The markup, for writing into a response or a mail.
    private(set) var markup: String

    init() { markup = "" }

    /// A literal: `StaticString`, so only text written in the source qualifies.
    init(stringLiteral literal: StaticString) { markup = literal.description }

    init(stringInterpolation: StringInterpolation) { markup = stringInterpolation.markup }

    var description: String { markup }
    var isEmpty: Bool { markup.isEmpty }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) { markup.reserveCapacity(literalCapacity + 16 * interpolationCount) }

        mutating func appendLiteral(_ literal: StaticString) { markup += literal.description }
        /// Text: escaped for element content and attribute values.
        mutating func appendInterpolation(_ text: String) { HTML.escape(text, into: &markup) }
        mutating func appendInterpolation(_ text: Substring) { HTML.escape(String(text), into: &markup) }
        /// Markup built the same way: as it is.
        mutating func appendInterpolation(_ html: HTML) { markup += html.markup }
        /// Numbers print only digits, signs, dots and letters.
        mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) { markup += number.description }
        mutating func appendInterpolation(_ number: Double) { markup += number.description }
    }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(markup: lhs.markup + rhs.markup) }
    static func += (lhs: inout HTML, rhs: HTML) { lhs.markup += rhs.markup }

    private init(markup: String) { self.markup = markup }

    /// `&`, `<`, `>`, `"` and `'` as entities. All five are ASCII, so the text is scanned as
    /// UTF-8 bytes and copied in runs between them (most text has none: one copy).
    private static func escape(_ text: String, into out: inout String) {
        var runStart = text.startIndex
        for index in text.utf8.indices {
            let entity: String
            switch text.utf8[index] {
            case UInt8(ascii: "&"): entity = "&amp;"
            case UInt8(ascii: "<"): entity = "&lt;"
            case UInt8(ascii: ">"): entity = "&gt;"
            case UInt8(ascii: "\""): entity = "&quot;"
            case UInt8(ascii: "'"): entity = "&#39;"
            default: continue
            }
            out += text[runStart..<index]
            out += entity
            runStart = text.utf8.index(after: index)
        }
        out += text[runStart...]
    }

    /// A `text/html` response with `html`.
    static func response(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    /// A redirect after a form post.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

extension Sequence where Element == HTML {
    /// The pieces one after another, with `separator` between them.
    func joined(separator: HTML = HTML()) -> HTML {
        var out = HTML()
        var first = true
        for piece in self {
            if !first { out += separator }
            out += piece
            first = false
        }
        return out
    }
}
