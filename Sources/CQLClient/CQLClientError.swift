import CQLProtocol

/// A failure of the client side of a request: transport, pool or handshake. Errors the
/// server reports arrive as ``CQLProtocol/CQLServerError`` instead.
public struct CQLClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, for callers that react to it.
    public enum Kind: Sendable, Hashable {
        /// No response within the request timeout (the request may still have been applied).
        case timeout
        /// The connection closed before the response arrived (the request may have been applied).
        case connectionClosed
        /// Every stream id of every usable connection is in use.
        case tooManyRequestsInFlight
        /// No contact point could be connected to (or all are backing off after failures).
        case noHostAvailable
        /// The server requires authentication and no credentials were configured, or its
        /// authenticator is not one this client speaks.
        case authentication
        /// The server sent something this client cannot read or did not expect.
        case protocolViolation
        /// The client was shut down.
        case closed
    }

    /// What kind of failure.
    public let kind: Kind
    /// Details for one log line (never credentials).
    public let message: String

    /// A failure of `kind` described by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Whether the request may have been applied by the server even though it failed here.
    public var outcomeUnknown: Bool { kind == .timeout || kind == .connectionClosed }
}
