/// A frame or message that does not follow the CQL native protocol v4: truncated,
/// out of range or of an unknown kind. Never a server-side error (see ``CQLServerError``).
public struct CQLProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, fit for one log line.
    public let description: String

    /// Creates an error with a message that says what was wrong.
    public init(_ description: String) { self.description = description }

    static func truncated(_ what: String) -> CQLProtocolError {
        CQLProtocolError("truncated CQL message: missing \(what)")
    }
}
