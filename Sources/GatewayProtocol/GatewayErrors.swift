/// A stream-level fault: the server answers `<error code="..." reason="..."/>` and closes the
/// connection. Thrown by ``GatewayFrameDecoder`` and by the strict ``XMLParser``.
public struct GatewayStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `code` attribute of the `<error/>` reply.
    public enum Code: String, Sendable, CaseIterable {
        /// Not well-formed XML, or an unknown top-level element.
        case malformed
        /// One top-level element over the size limit.
        case tooLarge = "too-large"
        /// A DOCTYPE, DTD or entity declaration (never expanded or fetched).
        case forbidden
        /// Idle past the limit.
        case timeout
        /// The server is shedding load.
        case overloaded
    }

    /// What kind of fault.
    public var code: Code
    /// A short human-readable explanation, sent as the `reason` attribute.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
