import NIOCore

/// Splits the gateway byte stream into top-level elements and decodes each into a
/// ``GatewayRequest``. Incremental: it remembers how far it scanned, so an element split
/// over many segments is scanned once, and parsed strictly once it is complete.
///
/// Between elements it accepts whitespace, comments, processing instructions and an XML
/// declaration (at the start of the stream or after an element). A stream fault throws
/// ``GatewayStreamError``; requests decoded before it have already been passed on.
public struct GatewayFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = GatewayRequest

    private let limits: GatewayLimits
    private var framer: XMLFramer

    public init(limits: GatewayLimits = .default) {
        self.limits = limits
        self.framer = XMLFramer(maxElementBytes: limits.maxElementBytes, maxDepth: limits.maxDepth, rootName: "report")
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let request = try next(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(request))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Whatever complete requests remain are delivered; an incomplete tail is dropped
        // (the gateway resends anything it did not get an ack for).
        while let request = try next(&buffer) {
            context.fireChannelRead(wrapInboundOut(request))
        }
        return .needMoreData
    }

    /// Decodes the next complete request from `buffer`, consuming it, or returns nil when
    /// more bytes are needed. Exposed for tests and for non-NIO users.
    public mutating func next(_ buffer: inout ByteBuffer) throws(GatewayStreamError) -> GatewayRequest? {
        while true {
            let step = try buffer.withUnsafeReadableBytes { (bytes) throws(GatewayStreamError) -> XMLFramer.Step in
                try framer.scan(bytes)
            }
            switch step {
            case .needMore:
                return nil
            case .skip(let count):
                buffer.moveReaderIndex(forwardBy: count)
            case .element(let length):
                let request = try buffer.withUnsafeReadableBytes { (bytes) throws(GatewayStreamError) -> GatewayRequest in
                    var builder = ReportBuilder(maxReadings: limits.maxReadingsPerReport)
                    try framer.parseElement(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), handler: &builder)
                    return builder.request()
                }
                buffer.moveReaderIndex(forwardBy: length)
                return request
            }
        }
    }
}
