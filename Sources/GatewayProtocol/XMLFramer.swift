/// Incremental framing of the gateway stream.

/// Finds the boundaries of top-level items in a byte stream, remembering how far it
/// scanned so that an element split over many reads is scanned once. Comments and
/// processing instructions between elements are validated and skipped; elements are
/// handed back whole for ``XMLParser`` (via ``parseElement(_:handler:)``).
public struct XMLFramer {
    /// Where the scanner is inside the current top-level item.
    private enum State {
        case top
        case content
        case startTag(quote: UInt8)
        case endTag
        case comment
        case cdata
        case pi
        case topComment
        case topPI
    }

    /// Largest item accepted, in bytes.
    public let maxElementBytes: Int
    /// Deepest nesting accepted.
    public let maxDepth: Int
    private var parser: XMLParser
    private var state = State.top
    /// Scan position, relative to the buffer's reader index (where the current item starts).
    private var position = 0
    private var depth = 0
    private var declarationAllowed = true

    public init(maxElementBytes: Int = 1 << 20, maxDepth: Int = 32) {
        self.maxElementBytes = maxElementBytes
        self.maxDepth = maxDepth
        self.parser = XMLParser(maxDepth: maxDepth)
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

    /// Advances the scanner over `b` (the unread bytes, current item at 0).
    /// Advances over `b`: the unread bytes, with the current item at offset 0.
    public mutating func scan(_ b: UnsafeRawBufferPointer) throws(GatewayStreamError) -> Step {
        let n = b.count
        let result = try scanItem(b)
        if case .needMore = result, n > maxElementBytes {
            throw GatewayStreamError(.tooLarge, "element larger than \(maxElementBytes) bytes")
        }
        return result
    }

    private mutating func scanItem(_ b: UnsafeRawBufferPointer) throws(GatewayStreamError) -> Step {
        let n = b.count
        if case .top = state {
            var i = 0
            while i < n, b[i].isXMLSpace { i += 1 }
            if i > 0 { return .skip(i) }
            guard n >= 2 else { return .needMore }
            guard b[0] == .lt else { throw GatewayStreamError(.malformed, "text outside an element") }
            switch b[1] {
            case .question:
                state = .topPI
                position = 2
            case .bang:
                guard n >= 3 else { return .needMore }
                if b[2] == .dash {
                    guard n >= 4 else { return .needMore }
                    guard b[3] == .dash else { throw GatewayStreamError(.malformed, "invalid markup after '<!'") }
                    state = .topComment
                    position = 4
                } else {
                    throw XMLParser.declarationError(b, 0)
                }
            case .slash:
                throw GatewayStreamError(.malformed, "end tag outside an element")
            default:
                state = .startTag(quote: 0)
                position = 1
                depth = 0
            }
        }
        while true {
            switch state {
            case .top:
                preconditionFailure("handled above")
            case .topPI:
                guard let end = find(b, "?>") else { return .needMore }
                let length = end + 2
                try checkSize(length)
                try parser.parseProcessingInstruction(UnsafeRawBufferPointer(rebasing: b[0..<length]), declarationAllowed: declarationAllowed)
                declarationAllowed = false
                state = .top
                position = 0
                return .skip(length)
            case .topComment:
                guard let end = find(b, "-->") else { return .needMore }
                let length = end + 3
                try checkSize(length)
                try parser.parseComment(UnsafeRawBufferPointer(rebasing: b[0..<length]))
                declarationAllowed = false
                state = .top
                position = 0
                return .skip(length)
            case .content:
                var i = position
                while i < n, b[i] != .lt { i += 1 }
                position = i
                guard i + 1 < n else { return .needMore }
                switch b[i + 1] {
                case .slash:
                    state = .endTag
                    position = i + 2
                case .question:
                    state = .pi
                    position = i + 2
                case .bang:
                    guard i + 3 < n else { return .needMore }
                    if b[i + 2] == .dash && b[i + 3] == .dash {
                        state = .comment
                        position = i + 4
                    } else if b[i + 2] == .lbracket {
                        guard i + 9 <= n else { return .needMore }
                        guard XMLParser.hasPrefix(b, i, "<![CDATA[") else {
                            throw GatewayStreamError(.malformed, "invalid markup after '<!'")
                        }
                        state = .cdata
                        position = i + 9
                    } else {
                        throw XMLParser.declarationError(b, i)
                    }
                default:
                    state = .startTag(quote: 0)
                    position = i + 1
                }
            case .startTag(var quote):
                var i = position
                var closed = false
                while i < n {
                    let c = b[i]
                    if quote != 0 {
                        if c == quote { quote = 0 }
                    } else if c == .quote || c == .apostrophe {
                        quote = c
                    } else if c == .gt {
                        closed = true
                        break
                    } else if c == .lt {
                        throw GatewayStreamError(.malformed, "'<' inside a tag")
                    }
                    i += 1
                }
                guard closed else {
                    position = i
                    state = .startTag(quote: quote)
                    return .needMore
                }
                if b[i - 1] != .slash { depth += 1 }
                position = i + 1
                state = .content
                if depth == 0 { return try complete(position) }
                guard depth <= maxDepth else {
                    throw GatewayStreamError(.malformed, "elements nested deeper than \(maxDepth)")
                }
            case .endTag:
                var i = position
                while i < n, b[i] != .gt { i += 1 }
                position = i
                guard i < n else { return .needMore }
                depth -= 1
                position = i + 1
                state = .content
                if depth <= 0 { return try complete(position) }
            case .comment:
                guard let end = find(b, "-->") else { return .needMore }
                position = end + 3
                state = .content
            case .pi:
                guard let end = find(b, "?>") else { return .needMore }
                position = end + 2
                state = .content
            case .cdata:
                guard let end = find(b, "]]>") else { return .needMore }
                position = end + 3
                state = .content
            }
        }
    }

    private mutating func complete(_ length: Int) throws(GatewayStreamError) -> Step {
        try checkSize(length)
        state = .top
        position = 0
        depth = 0
        return .element(length: length)
    }

    private func checkSize(_ length: Int) throws(GatewayStreamError) {
        if length > maxElementBytes {
            throw GatewayStreamError(.tooLarge, "element larger than \(maxElementBytes) bytes")
        }
    }

    /// Finds `needle` at or after `position`; remembers how far it looked when absent.
    private mutating func find(_ b: UnsafeRawBufferPointer, _ needle: StaticString) -> Int? {
        let count = needle.utf8CodeUnitCount
        let first = needle.utf8Start[0]
        var i = position
        while i + count <= b.count {
            if b[i] == first && XMLParser.hasPrefix(b, i, needle) { return i }
            i += 1
        }
        position = max(position, b.count - count + 1)
        return nil
    }
}
