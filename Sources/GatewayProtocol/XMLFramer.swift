/// Incremental framing of the gateway stream.

/// Finds the boundaries of top-level items in a byte stream and checks, byte by byte as
/// they arrive, that what it has seen can still be the start of a well-formed item: a
/// gateway that sends a mismatched end tag, a broken quote, an attribute without a value
/// or a stray `<` or `&` gets `malformed` as soon as those bytes arrive, instead of its
/// following reports being swallowed into an element that never ends.
///
/// It remembers where it stopped, so an element split over many reads is scanned once
/// (short constructs, a reference or a UTF-8 sequence cut by a read, are looked at again
/// from their start). Comments and processing instructions between elements are skipped;
/// complete elements are handed back for ``XMLParser`` (via ``parseElement(_:handler:)``),
/// which builds the events. The two accept exactly the same language; the differential
/// tests hold both to expat.
public struct XMLFramer {
    /// Where the scanner is inside the current top-level item. Offsets are relative to the
    /// item's start (the buffer's reader index), which stays put until the item is consumed.
    private enum State {
        /// Between items.
        case top
        /// Character data inside an element.
        case content
        /// The name of a start tag, begun at `start`.
        case startName(start: Int)
        /// Inside a start tag between attributes; `space`: whitespace since the last one.
        case tag(space: Bool)
        case attributeName(start: Int)
        /// After an attribute name, before `=`.
        case beforeEquals(name: Range<Int>)
        /// After `=`, before the opening quote.
        case beforeValue(name: Range<Int>)
        case value(name: Range<Int>, quote: UInt8)
        /// The name of an end tag, begun at `start`.
        case endName(start: Int)
        /// After an end tag's name, before `>`.
        case endTail
        case comment(top: Bool)
        case cdata
        /// A processing instruction's target, begun at `start`; `open` is where `<?` is.
        case piTarget(open: Int, start: Int, top: Bool)
        /// A processing instruction's data; an XML declaration is checked whole at its `?>`.
        case piData(open: Int, top: Bool, declaration: Bool)
    }

    /// Largest item accepted, in bytes.
    public let maxElementBytes: Int
    /// Deepest nesting accepted.
    public let maxDepth: Int
    /// When set, the only top-level element name accepted (checked as soon as it is read).
    public let rootName: [UInt8]?
    private var parser: XMLParser
    private var state = State.top
    /// Scan position, relative to the buffer's reader index (where the current item starts).
    private var position = 0
    /// Names of the open elements (ranges in the current item).
    private var open: [Range<Int>] = []
    /// The start tag being read: its name and its attributes' names so far.
    private var tagName = 0..<0
    private var attributeNames: [Range<Int>] = []
    private var declarationAllowed = true

    public init(maxElementBytes: Int = 1 << 20, maxDepth: Int = 32, rootName: String? = nil) {
        self.maxElementBytes = maxElementBytes
        self.maxDepth = maxDepth
        self.rootName = rootName.map { Array($0.utf8) }
        self.parser = XMLParser(maxDepth: maxDepth)
        open.reserveCapacity(8)
        attributeNames.reserveCapacity(16)
    }

    /// Parses the complete element ``scan(_:)`` found (exactly `bytes`) strictly.
    public mutating func parseElement<H: XMLElementHandler>(_ bytes: UnsafeRawBufferPointer, handler: inout H) throws(GatewayStreamError) {
        declarationAllowed = true
        try parser.parseElement(bytes, handler: &handler)
    }

    /// What the caller should do next.
    public enum Step: Sendable, Equatable {
        /// The unread bytes end inside an item: read more.
        case needMore
        /// Consume this many bytes (whitespace, a comment, a processing instruction).
        case skip(Int)
        /// A complete top-level element of this length starts at offset 0: parse it
        /// with ``parseElement(_:handler:)``, then consume it.
        case element(length: Int)
    }

    /// Advances over `b`: the unread bytes, with the current item at offset 0. Throws as
    /// soon as `b` cannot be the start of a well-formed stream.
    public mutating func scan(_ b: UnsafeRawBufferPointer) throws(GatewayStreamError) -> Step {
        let result = try scanItem(b)
        if case .needMore = result, b.count > maxElementBytes {
            throw GatewayStreamError(.tooLarge, "element larger than \(maxElementBytes) bytes")
        }
        return result
    }

    // MARK: The scanner

    /// What a short construct at the scan position (a reference, a UTF-8 sequence, the
    /// markup after `<`) turned out to be.
    private enum Look {
        /// Complete and valid, this many bytes long.
        case valid(Int)
        /// Valid so far but cut off by the end of the bytes read.
        case partial
    }

    private mutating func scanItem(_ b: UnsafeRawBufferPointer) throws(GatewayStreamError) -> Step {
        let n = b.count
        var i = position
        defer { position = i }
        while i < n {
            let c = b[i]
            switch state {
            case .top:
                if c.isXMLSpace {
                    var j = i
                    while j < n, b[j].isXMLSpace { j += 1 }
                    i = 0
                    return .skip(j)
                }
                guard c == .lt else { throw malformed("text outside an element") }
                guard i + 1 < n else { return .needMore }
                switch b[i + 1] {
                case .question:
                    state = .piTarget(open: i, start: i + 2, top: true)
                    i += 2
                case .bang:
                    guard case .valid(let length) = try bang(b, i, content: false) else { return .needMore }
                    state = .comment(top: true)
                    i += length
                case .slash:
                    throw malformed("end tag outside an element")
                default:
                    open.removeAll(keepingCapacity: true)
                    try beginStartTag(b, &i)
                }

            case .content:
                switch c {
                case .lt:
                    guard i + 1 < n else { return .needMore }
                    switch b[i + 1] {
                    case .slash:
                        state = .endName(start: i + 2)
                        i += 2
                    case .question:
                        state = .piTarget(open: i, start: i + 2, top: false)
                        i += 2
                    case .bang:
                        guard case .valid(let length) = try bang(b, i, content: true) else { return .needMore }
                        state = length == 4 ? .comment(top: false) : .cdata
                        i += length
                    default:
                        try beginStartTag(b, &i)
                    }
                case .amp:
                    guard case .valid(let length) = try Self.reference(b, i) else { return .needMore }
                    i += length
                case .gt:
                    if i >= 2, b[i - 1] == .rbracket, b[i - 2] == .rbracket { throw malformed("']]>' in text") }
                    i += 1
                default:
                    // Plain ASCII text is most of a report: step over it in one go.
                    var j = i
                    while j < n, b[j].isPlainText { j += 1 }
                    if j > i {
                        i = j
                        continue
                    }
                    guard case .valid(let length) = try Self.char(b, i) else { return .needMore }
                    i += length
                }

            case .startName(let start):
                guard case .valid(let length) = try nameChar(b, i, first: i == start) else { return .needMore }
                if length == 0 {
                    tagName = start..<i
                    if open.isEmpty, let rootName, !Self.equal(b, tagName, rootName) {
                        throw malformed("unknown top-level element <\(Self.text(b, tagName))>")
                    }
                    attributeNames.removeAll(keepingCapacity: true)
                    state = .tag(space: false)
                } else {
                    i += length
                }

            case .tag(let space):
                switch c {
                case _ where c.isXMLSpace:
                    state = .tag(space: true)
                    i += 1
                case .gt:
                    i += 1
                    open.append(tagName)
                    state = .content
                case .slash:
                    guard i + 1 < n else { return .needMore }
                    guard b[i + 1] == .gt else { throw malformed("expected '>' after '/' in start tag") }
                    i += 2
                    if open.isEmpty { return try complete(&i) }
                    state = .content
                default:
                    guard space else { throw malformed("expected whitespace between attributes") }
                    guard c.isNameStart else { throw malformed("expected a name") }
                    state = .attributeName(start: i)
                }

            case .attributeName(let start):
                guard case .valid(let length) = try nameChar(b, i, first: i == start) else { return .needMore }
                if length == 0 {
                    state = .beforeEquals(name: start..<i)
                } else {
                    i += length
                }

            case .beforeEquals(let name):
                if c.isXMLSpace {
                    i += 1
                } else if c == .equals {
                    state = .beforeValue(name: name)
                    i += 1
                } else {
                    throw malformed("expected '=' after attribute name")
                }

            case .beforeValue(let name):
                if c.isXMLSpace {
                    i += 1
                } else if c == .quote || c == .apostrophe {
                    state = .value(name: name, quote: c)
                    i += 1
                } else {
                    throw malformed("expected a quoted attribute value")
                }

            case .value(let name, let quote):
                switch c {
                case quote:
                    for other in attributeNames where Self.equal(b, other, name) {
                        throw malformed("duplicate attribute '\(Self.text(b, name))'")
                    }
                    attributeNames.append(name)
                    state = .tag(space: false)
                    i += 1
                case .lt:
                    throw malformed("'<' in attribute value")
                case .amp:
                    guard case .valid(let length) = try Self.reference(b, i) else { return .needMore }
                    i += length
                default:
                    var j = i
                    while j < n, b[j].isPlainText, b[j] != quote { j += 1 }
                    if j > i {
                        i = j
                        continue
                    }
                    guard case .valid(let length) = try Self.char(b, i) else { return .needMore }
                    i += length
                }

            case .endName(let start):
                guard case .valid(let length) = try nameChar(b, i, first: i == start) else { return .needMore }
                // Compared as the bytes arrive: a wrong end tag is refused at its first wrong byte.
                let expected = open[open.count - 1]
                if length == 0 {
                    guard i - start == expected.count else { throw malformed("mismatched end tag") }
                    state = .endTail
                } else {
                    for k in 0..<length {
                        let offset = i + k - start
                        guard offset < expected.count, b[expected.lowerBound + offset] == b[i + k] else {
                            throw malformed("mismatched end tag")
                        }
                    }
                    i += length
                }

            case .endTail:
                if c.isXMLSpace {
                    i += 1
                } else if c == .gt {
                    i += 1
                    open.removeLast()
                    if open.isEmpty { return try complete(&i) }
                    state = .content
                } else {
                    throw malformed("expected '>' in end tag")
                }

            case .comment(let top):
                if c == .dash {
                    guard i + 1 < n else { return .needMore }
                    guard b[i + 1] == .dash else {
                        i += 1
                        continue
                    }
                    guard i + 2 < n else { return .needMore }
                    guard b[i + 2] == .gt else { throw malformed("'--' inside comment") }
                    i += 3
                    if top { return try skipItem(&i) }
                    state = .content
                } else {
                    guard case .valid(let length) = try Self.char(b, i) else { return .needMore }
                    i += length
                }

            case .cdata:
                if c == .rbracket {
                    guard i + 2 < n else { return .needMore }
                    if b[i + 1] == .rbracket && b[i + 2] == .gt {
                        i += 3
                        state = .content
                    } else {
                        i += 1
                    }
                } else {
                    guard case .valid(let length) = try Self.char(b, i) else { return .needMore }
                    i += length
                }

            case .piTarget(let openAt, let start, let top):
                guard case .valid(let length) = try nameChar(b, i, first: i == start) else { return .needMore }
                guard length == 0 else {
                    i += length
                    continue
                }
                let target = UnsafeRawBufferPointer(rebasing: b[start..<i])
                var declaration = false
                if target.count == 3, target[0] | 0x20 == UInt8(ascii: "x"), target[1] | 0x20 == UInt8(ascii: "m"),
                    target[2] | 0x20 == UInt8(ascii: "l")
                {
                    guard top, declarationAllowed, XMLParser.equal(target, "xml") else {
                        throw malformed("XML declaration not at the start of a document")
                    }
                    declaration = true
                }
                if c == .question {
                    guard i + 1 < n else { return .needMore }
                    guard b[i + 1] == .gt else { throw malformed("expected whitespace after processing instruction target") }
                    if declaration {
                        state = .piData(open: openAt, top: top, declaration: true)
                        continue
                    }
                    i += 2
                    if top { return try skipItem(&i) }
                    state = .content
                } else {
                    guard c.isXMLSpace else { throw malformed("expected whitespace after processing instruction target") }
                    state = .piData(open: openAt, top: top, declaration: declaration)
                    i += 1
                }

            case .piData(let openAt, let top, let declaration):
                if c == .question {
                    guard i + 1 < n else { return .needMore }
                    guard b[i + 1] == .gt else {
                        i += 1
                        continue
                    }
                    i += 2
                    if declaration {
                        try checkSize(i)
                        // Version, encoding and standalone are few bytes: the parser checks them whole.
                        try parser.parseProcessingInstruction(UnsafeRawBufferPointer(rebasing: b[openAt..<i]), declarationAllowed: true)
                    }
                    if top { return try skipItem(&i) }
                    state = .content
                } else {
                    guard case .valid(let length) = try Self.char(b, i) else { return .needMore }
                    i += length
                }
            }
        }
        return .needMore
    }

    /// `<` followed by a name start: a start tag, if it may nest this deep.
    private mutating func beginStartTag(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(GatewayStreamError) {
        guard b[i + 1].isNameStart else { throw malformed("expected a name") }
        guard open.count < maxDepth else { throw malformed("elements nested deeper than \(maxDepth)") }
        state = .startName(start: i + 1)
        i += 1
    }

    /// `<!` at `i`: `<!--` (length 4) or, in content, `<![CDATA[` (length 9); anything
    /// else is a declaration (forbidden) or malformed as soon as it differs.
    private func bang(_ b: UnsafeRawBufferPointer, _ i: Int, content: Bool) throws(GatewayStreamError) -> Look {
        let n = b.count
        guard i + 2 < n else { return .partial }
        let prefix: StaticString = b[i + 2] == .dash ? "<!--" : (content && b[i + 2] == .lbracket ? "<![CDATA[" : "")
        guard prefix.utf8CodeUnitCount > 0 else { throw XMLParser.declarationError(b, i) }
        let p = prefix.utf8Start
        for k in 3..<prefix.utf8CodeUnitCount {
            guard i + k < n else { return .partial }
            guard b[i + k] == p[k] else { throw malformed("invalid markup after '<!'") }
        }
        return .valid(prefix.utf8CodeUnitCount)
    }

    /// One name character at `i`: its length, 0 where the name ends (not at its first
    /// byte: an empty name is malformed), or partial for a cut UTF-8 sequence.
    private func nameChar(_ b: UnsafeRawBufferPointer, _ i: Int, first: Bool) throws(GatewayStreamError) -> Look {
        let c = b[i]
        if c < 0x80 {
            if first ? c.isNameStart : c.isNameChar { return .valid(1) }
            if first { throw malformed("expected a name") }
            return .valid(0)
        }
        switch Self.utf8(b, i) {
        case .none: throw malformed("invalid UTF-8 in name")
        case .some(.partial): return .partial
        case .some(.valid(let length, _)): return .valid(length)
        }
    }

    /// One character of text, an attribute value, a comment, CDATA or a PI: no control
    /// characters, valid UTF-8 naming an XML character.
    private static func char(_ b: UnsafeRawBufferPointer, _ i: Int) throws(GatewayStreamError) -> Look {
        let c = b[i]
        if c < 0x80 {
            if c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D { throw GatewayStreamError(.malformed, "control character") }
            return .valid(1)
        }
        switch utf8(b, i) {
        case .some(.valid(let length, let scalar)) where XMLParser.isXMLChar(scalar): return .valid(length)
        case .some(.partial): return .partial
        default: throw GatewayStreamError(.malformed, "invalid UTF-8 or non-XML character")
        }
    }

    private enum UTF8Look {
        case valid(Int, UInt32)
        case partial
    }

    /// The UTF-8 sequence at `i`; nil when it is invalid, partial while it may still be valid.
    private static func utf8(_ b: UnsafeRawBufferPointer, _ i: Int) -> UTF8Look? {
        let c0 = b[i]
        let length: Int
        switch c0 {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return nil
        }
        if i + length > b.count {
            for k in (i + 1)..<b.count where b[k] & 0xC0 != 0x80 { return nil }
            return .partial
        }
        guard let (scalar, decoded) = XMLParser.decodeUTF8(b, i) else { return nil }
        return .valid(decoded, scalar)
    }

    /// `&...;` at `i`: a predefined entity or a character reference naming an XML
    /// character. Malformed at the first byte no such reference can continue with:
    /// undefined entities are never expanded, and refused before their `;`.
    private static func reference(_ b: UnsafeRawBufferPointer, _ i: Int) throws(GatewayStreamError) -> Look {
        let n = b.count
        let j = i + 1
        guard j < n else { return .partial }
        if b[j] == .hash {
            var k = j + 1
            var digits = 0
            let hex = k < n && b[k] == UInt8(ascii: "x")
            if hex { k += 1 }
            while k < n, hex ? b[k].hexValue != nil : b[k].isASCIIDigit {
                digits += 1
                guard digits <= 8 else { throw GatewayStreamError(.malformed, "invalid character reference") }
                k += 1
            }
            guard k < n else { return .partial }
            guard b[k] == .semicolon, digits > 0, XMLParser.decodeReference(b, i) != nil else {
                throw GatewayStreamError(.malformed, "invalid character reference")
            }
            return .valid(k + 1 - i)
        }
        var k = j
        while k < n, b[k].isASCIILetter, k - j < 5 { k += 1 }
        let name = UnsafeRawBufferPointer(rebasing: b[j..<k])
        let known: [StaticString] = ["lt", "gt", "amp", "apos", "quot"]
        if k == n {
            for entity in known where name.count <= entity.utf8CodeUnitCount && hasPrefix(entity, name) { return .partial }
        } else if b[k] == .semicolon {
            for entity in known where XMLParser.equal(name, entity) { return .valid(k + 1 - i) }
        }
        var shown = ""
        var m = j
        while m < n, m < j + 32, b[m].isNameChar { shown.unicodeScalars.append(UnicodeScalar(b[m])); m += 1 }
        if m < n, b[m] == .semicolon, !shown.isEmpty {
            throw GatewayStreamError(.malformed, "undefined entity '&\(shown);' (entities are never expanded)")
        }
        throw GatewayStreamError(.malformed, "invalid character or entity reference")
    }

    private static func hasPrefix(_ literal: StaticString, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let p = literal.utf8Start
        for k in 0..<bytes.count where bytes[k] != p[k] { return false }
        return true
    }

    // MARK: Items done

    private mutating func complete(_ i: inout Int) throws(GatewayStreamError) -> Step {
        let length = i
        try checkSize(length)
        state = .top
        i = 0
        return .element(length: length)
    }

    /// A top-level comment or processing instruction ended at `i`.
    private mutating func skipItem(_ i: inout Int) throws(GatewayStreamError) -> Step {
        let length = i
        try checkSize(length)
        declarationAllowed = false
        state = .top
        i = 0
        return .skip(length)
    }

    private func checkSize(_ length: Int) throws(GatewayStreamError) {
        if length > maxElementBytes {
            throw GatewayStreamError(.tooLarge, "element larger than \(maxElementBytes) bytes")
        }
    }

    private func malformed(_ reason: String) -> GatewayStreamError { GatewayStreamError(.malformed, reason) }

    private static func equal(_ b: UnsafeRawBufferPointer, _ x: Range<Int>, _ y: Range<Int>) -> Bool {
        XMLParser.equal(b, x, y)
    }

    private static func equal(_ b: UnsafeRawBufferPointer, _ x: Range<Int>, _ literal: [UInt8]) -> Bool {
        x.count == literal.count && zip(b[x], literal).allSatisfy { $0 == $1 }
    }

    private static func text(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[range.lowerBound..<min(range.upperBound, range.lowerBound + 64)]), as: UTF8.self)
    }
}

extension UInt8 {
    /// Printable ASCII that is plain character data anywhere: not `<`, `&`, `>`.
    fileprivate var isPlainText: Bool { self >= 0x20 && self < 0x80 && self != .lt && self != .amp && self != .gt }
}
