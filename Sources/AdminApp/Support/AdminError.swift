import Hummingbird

/// A request that cannot be served, with a message fit to show the person or script
/// that sent it. Thrown by controllers; ``ErrorMiddleware`` renders it as HTML or JSON.
public struct AdminError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String) -> AdminError { AdminError(.badRequest, message) }
    static func notFound(_ message: String) -> AdminError { AdminError(.notFound, message) }
}
