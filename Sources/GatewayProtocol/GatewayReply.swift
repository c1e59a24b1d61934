import NIOCore

/// One line the server sends back.
public enum GatewayReply: Sendable, Hashable {
    /// The report's readings are durably stored: `stored + duplicates` equals its readings.
    case ack(gateway: String, seq: UInt64, stored: Int, duplicates: Int)
    /// The report was refused and nothing of it stored; `code` is `invalid` or `unauthorized`.
    case nack(gateway: String, seq: String, code: String, reason: String)
    /// A stream fault; the connection closes after it.
    case error(GatewayStreamError)

    /// Appends the reply line (with its `\n`) to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .ack(let gateway, let seq, let stored, let duplicates):
            buffer.writeStaticString("<ack gateway=\"")
            Self.writeEscaped(gateway, to: &buffer)
            buffer.writeStaticString("\" seq=\"")
            buffer.writeString(String(seq))
            buffer.writeStaticString("\" stored=\"")
            buffer.writeString(String(stored))
            buffer.writeStaticString("\" duplicates=\"")
            buffer.writeString(String(duplicates))
            buffer.writeStaticString("\"/>\n")
        case .nack(let gateway, let seq, let code, let reason):
            buffer.writeStaticString("<nack gateway=\"")
            Self.writeEscaped(gateway, to: &buffer)
            buffer.writeStaticString("\" seq=\"")
            Self.writeEscaped(seq, to: &buffer)
            buffer.writeStaticString("\" code=\"")
            Self.writeEscaped(code, to: &buffer)
            buffer.writeStaticString("\" reason=\"")
            Self.writeEscaped(reason, to: &buffer)
            buffer.writeStaticString("\"/>\n")
        case .error(let error):
            buffer.writeStaticString("<error code=\"")
            buffer.writeString(error.code.rawValue)
            buffer.writeStaticString("\" reason=\"")
            Self.writeEscaped(error.reason, to: &buffer)
            buffer.writeStaticString("\"/>\n")
        }
    }

    /// The reply line as a String (tests, logs).
    public var line: String {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return String(buffer: buffer)
    }

    /// Escapes the five XML specials; control characters become spaces so a reply stays one line.
    static func writeEscaped(_ text: String, to buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): buffer.writeStaticString("&amp;")
            case UInt8(ascii: "<"): buffer.writeStaticString("&lt;")
            case UInt8(ascii: ">"): buffer.writeStaticString("&gt;")
            case UInt8(ascii: "\""): buffer.writeStaticString("&quot;")
            case UInt8(ascii: "'"): buffer.writeStaticString("&apos;")
            case 0..<0x20: buffer.writeInteger(UInt8(ascii: " "))
            default: buffer.writeInteger(byte)
            }
        }
    }
}

/// Encodes ``GatewayReply`` values as reply lines.
public struct GatewayReplyEncoder: MessageToByteEncoder {
    public typealias OutboundIn = GatewayReply

    public init() {}

    public func encode(data: GatewayReply, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
