import Hummingbird

/// A request that cannot be served, with a message fit to show the person or script
/// that sent it. Thrown by controllers; ``ErrorMiddleware`` renders it as HTML or JSON.
public struct AdminError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// The form field the message is about, so a page can show it next to that field.
    public let field: String?

    public init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    public var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String, field: String? = nil) -> AdminError { AdminError(.badRequest, message, field: field) }
    static func notFound(_ message: String) -> AdminError { AdminError(.notFound, message) }
    /// Input a person can correct (as opposed to a missing thing or a refused permission):
    /// a form page shows the form again with this message.
    var isInputProblem: Bool { status == .badRequest || status == .conflict || status == .unprocessableContent }
}
