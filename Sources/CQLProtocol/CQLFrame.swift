import NIOCore

/// A message kind (section 2.4).
public enum CQLOpcode: UInt8, Sendable, Hashable {
    case error = 0x00
    case startup = 0x01
    case ready = 0x02
    case authenticate = 0x03
    case options = 0x05
    case supported = 0x06
    case query = 0x07
    case result = 0x08
    case prepare = 0x09
    case execute = 0x0A
    case register = 0x0B
    case event = 0x0C
    case batch = 0x0D
    case authChallenge = 0x0E
    case authResponse = 0x0F
    case authSuccess = 0x10
}

/// Frame header flags (section 2.2).
public struct CQLFrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The body is compressed (never negotiated by this client).
    public static let compression = CQLFrameFlags(rawValue: 0x01)
    /// Request: trace it; response: the body starts with a tracing id.
    public static let tracing = CQLFrameFlags(rawValue: 0x02)
    /// A `[bytes map]` custom payload precedes the body.
    public static let customPayload = CQLFrameFlags(rawValue: 0x04)
    /// Response: a `[string list]` of server warnings precedes the body.
    public static let warning = CQLFrameFlags(rawValue: 0x08)
}

/// One protocol v4 frame: the 9-byte header and the body.
public struct CQLFrame: Sendable, Hashable {
    /// The protocol version this codec speaks.
    public static let protocolVersion: UInt8 = 4
    /// Header size in bytes.
    public static let headerLength = 9
    /// The spec's body size limit (section 2.5).
    public static let maxBodyLength = 256 * 1024 * 1024

    /// Whether the frame goes from server to client (the version byte's high bit).
    public var isResponse: Bool
    /// Header flags.
    public var flags: CQLFrameFlags
    /// The stream id: >= 0 for requests and their responses, -1 for server events.
    public var stream: Int16
    /// The message kind.
    public var opcode: CQLOpcode
    /// The message body (after the 9-byte header).
    public var body: ByteBuffer

    /// A frame of `opcode` on `stream` carrying `body`.
    public init(isResponse: Bool, flags: CQLFrameFlags = [], stream: Int16, opcode: CQLOpcode, body: ByteBuffer) {
        self.isResponse = isResponse
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.body = body
    }

    /// Appends the header and body to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.protocolVersion | (isResponse ? 0x80 : 0))
        buffer.writeInteger(flags.rawValue)
        buffer.writeInteger(stream)
        buffer.writeInteger(opcode.rawValue)
        buffer.writeInteger(Int32(body.readableBytes))
        var body = body
        buffer.writeBuffer(&body)
    }

    /// Reads one whole frame from the front of `buffer`; nil (and nothing consumed) when
    /// more bytes are needed. Throws on a version other than 4, an unknown opcode, or an
    /// oversized body, after which the connection cannot be resynchronised.
    public static func read(from buffer: inout ByteBuffer, maxBodyLength: Int = maxBodyLength) throws(CQLProtocolError) -> CQLFrame? {
        guard buffer.readableBytes >= headerLength else { return nil }
        let start = buffer.readerIndex
        let version = buffer.getInteger(at: start, as: UInt8.self)!
        let flags = buffer.getInteger(at: start + 1, as: UInt8.self)!
        let stream = buffer.getInteger(at: start + 2, as: Int16.self)!
        let opcodeByte = buffer.getInteger(at: start + 4, as: UInt8.self)!
        let length = buffer.getInteger(at: start + 5, as: Int32.self)!
        guard version & 0x7F == protocolVersion else {
            throw CQLProtocolError("unsupported protocol version \(version & 0x7F) in frame header (this client speaks v4)")
        }
        guard let opcode = CQLOpcode(rawValue: opcodeByte) else {
            throw CQLProtocolError("unknown opcode 0x\(String(opcodeByte, radix: 16))")
        }
        guard length >= 0, Int(length) <= maxBodyLength else {
            throw CQLProtocolError("frame body length \(length) outside 0...\(maxBodyLength)")
        }
        guard buffer.readableBytes >= headerLength + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        let body = buffer.readSlice(length: Int(length))!
        return CQLFrame(
            isResponse: version & 0x80 != 0, flags: CQLFrameFlags(rawValue: flags), stream: stream,
            opcode: opcode, body: body)
    }
}

/// Splits a byte stream into ``CQLFrame``s.
public struct CQLFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = CQLFrame
    /// The largest body accepted.
    public let maxBodyLength: Int

    /// A decoder refusing bodies over `maxBodyLength` bytes.
    public init(maxBodyLength: Int = CQLFrame.maxBodyLength) { self.maxBodyLength = maxBodyLength }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try CQLFrame.read(from: &buffer, maxBodyLength: maxBodyLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A partial frame at EOF is dropped: its sender is gone and nobody awaits it.
        return .needMoreData
    }
}

/// Writes ``CQLFrame``s to a byte stream.
public struct CQLFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = CQLFrame
    /// An encoder.
    public init() {}
    public func encode(data: CQLFrame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
