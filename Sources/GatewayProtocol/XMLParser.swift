/// Receives the elements of one top-level element from ``XMLParser``, in document order.
/// Pointers it is handed are valid only during the call.
public protocol XMLElementHandler {
    /// An element opened at `depth` (0 for the top-level element).
    mutating func startElement(name: UnsafeRawBufferPointer, attributes: XMLAttributes, depth: Int) throws(GatewayStreamError)
    /// The element opened last at `depth` closed.
    mutating func endElement(depth: Int)
}

/// One attribute as it appears in the source bytes.
public struct XMLAttribute: Sendable {
    /// Byte range of the name in the parsed buffer.
    public var name: Range<Int>
    /// Byte range of the raw value (between the quotes).
    public var value: Range<Int>
    /// Whether the raw value contains references or whitespace that decoding changes.
    public var needsDecoding: Bool
}

/// The attributes of one start tag, valid only during ``XMLElementHandler/startElement(name:attributes:depth:)``.
public struct XMLAttributes {
    let base: UnsafeRawBufferPointer
    let items: [XMLAttribute]

    /// How many attributes the tag has.
    public var count: Int { items.count }

    /// The name bytes of attribute `index`.
    public func name(at index: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[items[index].name]) }

    /// The raw (undecoded) value bytes of attribute `index`.
    public func rawValue(at index: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[items[index].value]) }

    /// Whether attribute `index`'s value must go through ``XMLParser/decodeAttributeValue(_:)``.
    public func needsDecoding(at index: Int) -> Bool { items[index].needsDecoding }

    /// The decoded value of attribute `index` as bytes.
    public func decodedValue(at index: Int) -> [UInt8] {
        let raw = rawValue(at: index)
        return items[index].needsDecoding ? XMLParser.decodeAttributeValue(raw) : Array(raw)
    }

    /// The decoded value of attribute `index` as a String.
    public func string(at index: Int) -> String {
        let raw = rawValue(at: index)
        if items[index].needsDecoding { return String(decoding: XMLParser.decodeAttributeValue(raw), as: UTF8.self) }
        return String(decoding: raw, as: UTF8.self)
    }
}

/// A strict, non-validating parser for the XML subset of the gateway protocol: elements,
/// attributes, text, comments, CDATA sections, processing instructions, the five predefined
/// entities and character references. It never expands entities: any DOCTYPE or markup
/// declaration is `forbidden`, any other entity reference `malformed`. It works on one
/// complete top-level item at a time (``GatewayFrameDecoder`` finds the boundaries).
public struct XMLParser {
    private var attributes: [XMLAttribute] = []
    private var stack: [Range<Int>] = []
    /// Deepest nesting accepted.
    public var maxDepth: Int

    public init(maxDepth: Int = 32) {
        self.maxDepth = maxDepth
        attributes.reserveCapacity(16)
        stack.reserveCapacity(8)
    }

    // MARK: Top-level items

    /// Parses exactly one element spanning all of `bytes`, reporting it to `handler`.
    public mutating func parseElement<H: XMLElementHandler>(_ b: UnsafeRawBufferPointer, handler: inout H) throws(GatewayStreamError) {
        stack.removeAll(keepingCapacity: true)
        let n = b.count
        var i = 0
        guard n > 1, b[0] == .lt else { throw malformed("expected '<'") }
        try startTag(b, &i, handler: &handler)
        while !stack.isEmpty {
            // Character data up to the next markup.
            try text(b, &i)
            guard i < n else { throw malformed("unexpected end inside element") }
            // b[i] == '<'
            guard i + 1 < n else { throw malformed("unexpected end inside element") }
            switch b[i + 1] {
            case .slash: try endTag(b, &i, handler: &handler)
            case .bang: try bangInContent(b, &i)
            case .question: try processingInstruction(b, &i, declarationAllowed: false)
            default: try startTag(b, &i, handler: &handler)
            }
        }
        guard i == n else { throw malformed("unexpected content after the element") }
    }

    /// Validates one top-level comment (`<!--...-->`) spanning all of `bytes`.
    public func parseComment(_ b: UnsafeRawBufferPointer) throws(GatewayStreamError) {
        var i = 0
        try comment(b, &i)
        guard i == b.count else { throw malformed("unexpected content after comment") }
    }

    /// Validates one top-level processing instruction spanning all of `bytes`. An XML
    /// declaration is accepted only when `declarationAllowed` (start of a document).
    public func parseProcessingInstruction(_ b: UnsafeRawBufferPointer, declarationAllowed: Bool) throws(GatewayStreamError) {
        var i = 0
        try processingInstruction(b, &i, declarationAllowed: declarationAllowed)
        guard i == b.count else { throw malformed("unexpected content after processing instruction") }
    }

    // MARK: Markup

    private mutating func startTag<H: XMLElementHandler>(_ b: UnsafeRawBufferPointer, _ i: inout Int, handler: inout H) throws(GatewayStreamError) {
        let n = b.count
        i += 1  // '<'
        let name = try self.name(b, &i)
        attributes.removeAll(keepingCapacity: true)
        var selfClosing = false
        while true {
            let hadSpace = skipSpace(b, &i)
            guard i < n else { throw malformed("unexpected end in start tag") }
            let c = b[i]
            if c == .gt { i += 1; break }
            if c == .slash {
                guard i + 1 < n, b[i + 1] == .gt else { throw malformed("expected '>' after '/' in start tag") }
                i += 2
                selfClosing = true
                break
            }
            guard hadSpace else { throw malformed("expected whitespace between attributes") }
            let attrName = try self.name(b, &i)
            _ = skipSpace(b, &i)
            guard i < n, b[i] == .equals else { throw malformed("expected '=' after attribute name") }
            i += 1
            _ = skipSpace(b, &i)
            guard i < n, b[i] == .quote || b[i] == .apostrophe else { throw malformed("expected a quoted attribute value") }
            let quote = b[i]
            i += 1
            let start = i
            var needsDecoding = false
            while true {
                guard i < n else { throw malformed("unterminated attribute value") }
                let c = b[i]
                if c == quote { break }
                switch c {
                case .lt: throw malformed("'<' in attribute value")
                case .amp:
                    try reference(b, &i)
                    needsDecoding = true
                    continue
                case 0x09, 0x0A, 0x0D:
                    needsDecoding = true
                    i += 1
                case 0..<0x20: throw malformed("control character in attribute value")
                case 0x80...: try utf8(b, &i); continue
                default: i += 1
                }
            }
            let value = start..<i
            i += 1  // closing quote
            for other in attributes where Self.equal(b, other.name, attrName) {
                throw malformed("duplicate attribute '\(String(decoding: UnsafeRawBufferPointer(rebasing: b[attrName]), as: UTF8.self))'")
            }
            attributes.append(XMLAttribute(name: attrName, value: value, needsDecoding: needsDecoding))
        }
        guard stack.count < maxDepth else { throw malformed("elements nested deeper than \(maxDepth)") }
        let depth = stack.count
        try handler.startElement(
            name: UnsafeRawBufferPointer(rebasing: b[name]), attributes: XMLAttributes(base: b, items: attributes), depth: depth)
        if selfClosing {
            handler.endElement(depth: depth)
        } else {
            stack.append(name)
        }
    }

    private mutating func endTag<H: XMLElementHandler>(_ b: UnsafeRawBufferPointer, _ i: inout Int, handler: inout H) throws(GatewayStreamError) {
        i += 2  // '</'
        let name = try self.name(b, &i)
        _ = skipSpace(b, &i)
        guard i < b.count, b[i] == .gt else { throw malformed("expected '>' in end tag") }
        i += 1
        guard let open = stack.popLast(), Self.equal(b, open, name) else { throw malformed("mismatched end tag") }
        handler.endElement(depth: stack.count)
    }

    /// `<!` inside content: a comment or a CDATA section; declarations are forbidden.
    private func bangInContent(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        if Self.hasPrefix(b, i, "<!--") { return try comment(b, &i) }
        if Self.hasPrefix(b, i, "<![CDATA[") {
            i += 9
            let n = b.count
            while true {
                guard i < n else { throw malformed("unterminated CDATA section") }
                let c = b[i]
                if c == .rbracket, i + 2 < n, b[i + 1] == .rbracket, b[i + 2] == .gt { i += 3; return }
                try char(b, &i, c)
            }
        }
        throw Self.declarationError(b, i)
    }

    /// The error for `<!` that is neither a comment nor CDATA: markup declarations are forbidden.
    static func declarationError(_ b: UnsafeRawBufferPointer, _ i: Int) -> GatewayStreamError {
        if i + 2 < b.count, b[i + 2].isASCIILetter {
            return GatewayStreamError(.forbidden, "DOCTYPE and entity declarations are not allowed")
        }
        return GatewayStreamError(.malformed, "invalid markup after '<!'")
    }

    private func comment(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        guard Self.hasPrefix(b, i, "<!--") else { throw malformed("expected a comment") }
        i += 4
        let n = b.count
        while true {
            guard i < n else { throw malformed("unterminated comment") }
            let c = b[i]
            if c == .dash, i + 1 < n, b[i + 1] == .dash {
                guard i + 2 < n, b[i + 2] == .gt else { throw malformed("'--' inside comment") }
                i += 3
                return
            }
            try char(b, &i, c)
        }
    }

    private func processingInstruction(_ b: UnsafeRawBufferPointer, _ i: inout Int, declarationAllowed: Bool) throws(GatewayStreamError) {
        guard Self.hasPrefix(b, i, "<?") else { throw malformed("expected '<?'") }
        i += 2
        let target = try name(b, &i)
        let t = UnsafeRawBufferPointer(rebasing: b[target])
        if t.count == 3, t[0] | 0x20 == UInt8(ascii: "x"), t[1] | 0x20 == UInt8(ascii: "m"), t[2] | 0x20 == UInt8(ascii: "l") {
            guard declarationAllowed, t[0] == UInt8(ascii: "x"), t[1] == UInt8(ascii: "m"), t[2] == UInt8(ascii: "l") else {
                throw malformed("XML declaration not at the start of a document")
            }
            return try xmlDeclaration(b, &i)
        }
        let n = b.count
        if Self.hasPrefix(b, i, "?>") { i += 2; return }
        guard skipSpace(b, &i) else { throw malformed("expected whitespace after processing instruction target") }
        while true {
            guard i < n else { throw malformed("unterminated processing instruction") }
            let c = b[i]
            if c == .question, i + 1 < n, b[i + 1] == .gt { i += 2; return }
            try char(b, &i, c)
        }
    }

    /// `<?xml version="1.x" [encoding="UTF-8"] [standalone="yes|no"] ?>`, after the `<?xml`.
    private func xmlDeclaration(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        var seen = 0  // 1 version, 2 encoding, 3 standalone
        let n = b.count
        while true {
            let hadSpace = skipSpace(b, &i)
            if Self.hasPrefix(b, i, "?>") {
                guard seen >= 1 else { throw malformed("XML declaration without version") }
                i += 2
                return
            }
            guard hadSpace, i < n else { throw malformed("malformed XML declaration") }
            let nameRange = try name(b, &i)
            _ = skipSpace(b, &i)
            guard i < n, b[i] == .equals else { throw malformed("malformed XML declaration") }
            i += 1
            _ = skipSpace(b, &i)
            guard i < n, b[i] == .quote || b[i] == .apostrophe else { throw malformed("malformed XML declaration") }
            let quote = b[i]
            i += 1
            let start = i
            while i < n, b[i] != quote { i += 1 }
            guard i < n else { throw malformed("malformed XML declaration") }
            let value = UnsafeRawBufferPointer(rebasing: b[start..<i])
            i += 1
            let pseudo = String(decoding: UnsafeRawBufferPointer(rebasing: b[nameRange]), as: UTF8.self)
            switch pseudo {
            case "version" where seen == 0:
                guard value.count >= 3, value[0] == UInt8(ascii: "1"), value[1] == .dot,
                    value[2...].allSatisfy({ $0.isASCIIDigit })
                else { throw malformed("unsupported XML version") }
                seen = 1
            case "encoding" where seen == 1:
                let enc = String(decoding: value, as: UTF8.self).lowercased()
                guard enc == "utf-8" || enc == "utf8" else { throw malformed("only UTF-8 is supported") }
                seen = 2
            case "standalone" where seen >= 1 && seen < 3:
                let v = String(decoding: value, as: UTF8.self)
                guard v == "yes" || v == "no" else { throw malformed("invalid standalone value") }
                seen = 3
            default:
                throw malformed("malformed XML declaration")
            }
        }
    }

    // MARK: Lexical pieces

    /// Character data up to the next '<' (or the end).
    private func text(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        let n = b.count
        while i < n {
            let c = b[i]
            switch c {
            case .lt: return
            case .amp: try reference(b, &i)
            case .gt:
                if i >= 2, b[i - 1] == .rbracket, b[i - 2] == .rbracket { throw malformed("']]>' in text") }
                i += 1
            default: try char(b, &i, c)
            }
        }
    }

    /// One character of text, comment or PI content: no control characters, valid UTF-8.
    @inline(__always)
    private func char(_ b: UnsafeRawBufferPointer, _ i: inout Int, _ c: UInt8) throws(GatewayStreamError) {
        if c >= 0x80 { return try utf8(b, &i) }
        if c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D { throw malformed("control character") }
        i += 1
    }

    /// `&name;` (five predefined) or `&#N;` / `&#xH;` naming a valid XML character.
    private func reference(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        guard let (_, length) = Self.decodeReference(b, i) else {
            var j = i + 1
            var name = ""
            while j < b.count, j < i + 32, b[j].isNameChar { name.unicodeScalars.append(UnicodeScalar(b[j])); j += 1 }
            if !name.isEmpty && j < b.count && b[j] == .semicolon && !name.hasPrefix("#") {
                throw malformed("undefined entity '&\(name);' (entities are never expanded)")
            }
            throw malformed("invalid character or entity reference")
        }
        i += length
    }

    /// Decodes the reference at `i` (pointing at '&'): the scalar and the reference's length.
    static func decodeReference(_ b: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int)? {
        let n = b.count
        var j = i + 1
        guard j < n else { return nil }
        if b[j] == .hash {
            j += 1
            var value: UInt32 = 0
            var digits = 0
            if j < n, b[j] == UInt8(ascii: "x") {
                j += 1
                while j < n, let d = b[j].hexValue {
                    value = value &* 16 &+ UInt32(d)
                    digits += 1
                    if digits > 8 { return nil }
                    j += 1
                }
            } else {
                while j < n, b[j].isASCIIDigit {
                    value = value &* 10 &+ UInt32(b[j] - UInt8(ascii: "0"))
                    digits += 1
                    if digits > 8 { return nil }
                    j += 1
                }
            }
            guard digits > 0, j < n, b[j] == .semicolon, isXMLChar(value) else { return nil }
            return (value, j + 1 - i)
        }
        let start = j
        while j < n, j - start < 5, b[j].isASCIILetter { j += 1 }
        guard j < n, b[j] == .semicolon else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: b[start..<j])
        let value: UInt32
        if equal(name, "lt") { value = 0x3C }
        else if equal(name, "gt") { value = 0x3E }
        else if equal(name, "amp") { value = 0x26 }
        else if equal(name, "apos") { value = 0x27 }
        else if equal(name, "quot") { value = 0x22 }
        else { return nil }
        return (value, j + 1 - i)
    }

    /// Validates one UTF-8 sequence at `i` that encodes an XML character and steps over it.
    private func utf8(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        guard let (scalar, length) = Self.decodeUTF8(b, i), Self.isXMLChar(scalar) else {
            throw malformed("invalid UTF-8 or non-XML character")
        }
        i += length
    }

    static func decodeUTF8(_ b: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int)? {
        let n = b.count
        let c0 = b[i]
        let length: Int
        var value: UInt32
        switch c0 {
        case 0xC2...0xDF: length = 2; value = UInt32(c0 & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(c0 & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(c0 & 0x07)
        default: return nil
        }
        guard i + length <= n else { return nil }
        for k in 1..<length {
            let c = b[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        // Reject overlong forms and surrogates.
        switch length {
        case 3 where value < 0x800: return nil
        case 4 where value < 0x10000 || value > 0x10FFFF: return nil
        default: break
        }
        if (0xD800...0xDFFF).contains(value) { return nil }
        return (value, length)
    }

    /// XML 1.0 `Char`.
    static func isXMLChar(_ v: UInt32) -> Bool {
        switch v {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// A name: ASCII letters, '_' or ':' first, then also digits, '.', '-'; non-ASCII
    /// letters are accepted as valid UTF-8.
    private func name(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) -> Range<Int> {
        let n = b.count
        let start = i
        guard i < n, b[i].isNameStart else { throw malformed("expected a name") }
        while i < n {
            let c = b[i]
            if c >= 0x80 {
                guard let (_, length) = Self.decodeUTF8(b, i) else { throw malformed("invalid UTF-8 in name") }
                i += length
            } else if c.isNameChar {
                i += 1
            } else {
                break
            }
        }
        return start..<i
    }

    @inline(__always)
    private func skipSpace(_ b: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        let start = i
        while i < b.count, b[i].isXMLSpace { i += 1 }
        return i > start
    }

    private func malformed(_ reason: String) -> GatewayStreamError { GatewayStreamError(.malformed, reason) }

    static func hasPrefix(_ b: UnsafeRawBufferPointer, _ i: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        let p = prefix.utf8Start
        for k in 0..<count where b[i + k] != p[k] { return false }
        return true
    }

    static func equal(_ b: UnsafeRawBufferPointer, _ x: Range<Int>, _ y: Range<Int>) -> Bool {
        guard x.count == y.count else { return false }
        var a = x.lowerBound
        var c = y.lowerBound
        while a < x.upperBound {
            if b[a] != b[c] { return false }
            a += 1
            c += 1
        }
        return true
    }

    /// Whether `bytes` spell `literal` exactly.
    public static func equal(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let p = literal.utf8Start
        for k in 0..<count where bytes[k] != p[k] { return false }
        return true
    }

    /// Decodes a raw attribute value the parser accepted: references are replaced and
    /// literal tab/CR/LF normalised to spaces (CR LF counts once), as XML 1.0 requires.
    public static func decodeAttributeValue(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            switch c {
            case .amp:
                if let (scalar, length) = decodeReference(raw, i) {
                    appendUTF8(scalar, to: &out)
                    i += length
                } else {
                    out.append(c)  // unreachable for validated input
                    i += 1
                }
            case 0x0D:
                out.append(.space)
                i += (i + 1 < raw.count && raw[i + 1] == 0x0A) ? 2 : 1
            case 0x09, 0x0A:
                out.append(.space)
                i += 1
            default:
                out.append(c)
                i += 1
            }
        }
        return out
    }

    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}

extension UInt8 {
    static let lt = UInt8(ascii: "<")
    static let gt = UInt8(ascii: ">")
    static let amp = UInt8(ascii: "&")
    static let slash = UInt8(ascii: "/")
    static let bang = UInt8(ascii: "!")
    static let question = UInt8(ascii: "?")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let equals = UInt8(ascii: "=")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let hash = UInt8(ascii: "#")
    static let semicolon = UInt8(ascii: ";")
    static let rbracket = UInt8(ascii: "]")
    static let lbracket = UInt8(ascii: "[")
    static let space = UInt8(ascii: " ")

    var isXMLSpace: Bool { self == 0x20 || self == 0x0A || self == 0x09 || self == 0x0D }
    var isASCIIDigit: Bool { self &- 0x30 < 10 }
    var isASCIILetter: Bool { (self | 0x20) &- 0x61 < 26 }
    var isNameStart: Bool { isASCIILetter || self == UInt8(ascii: "_") || self == UInt8(ascii: ":") || self >= 0x80 }
    var isNameChar: Bool { isNameStart || isASCIIDigit || self == .dash || self == .dot }
    var hexValue: UInt8? {
        if isASCIIDigit { return self - 0x30 }
        let lower = self | 0x20
        if lower >= 0x61 && lower <= 0x66 { return lower - 0x61 + 10 }
        return nil
    }
}
