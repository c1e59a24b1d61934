import FoundationEssentials
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TenantTime

/// Hummingbird's `Application`, run without its one-second timer.
///
/// Hummingbird keeps the `Date` response header in a cache that a task refreshes every
/// second, whether or not anyone asks. Measured on an idle panel that timer was about 0.03%
/// of a core, most of what the panel cost while nobody used it, and a host runs thousands of
/// panels. `run()` below is Hummingbird 2's own, except that the header is formatted by the
/// first response of each second instead. Everything else is the wrapped application's.
struct QuietApplication<Responder: HTTPResponder>: ApplicationProtocol
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let base: Application<Responder>
    private let date = HTTPDateHeader()

    init(_ base: Application<Responder>) { self.base = base }

    var responder: Responder { base.responder }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration }
    var logger: Logger { base.logger }
    var services: [any Service] { base.services }
    func onServerRunning(_ channel: any Channel) async { await base.onServerRunning(channel) }

    func run() async throws {
        let responder = self.responder
        let date = self.date
        let serverName = configuration.serverName
        let logger = self.logger
        let serverConfiguration = ServerConfiguration(
            address: configuration.address, serverName: serverName, backlog: configuration.backlog, reuseAddress: configuration.reuseAddress,
            availableConnectionsDelegate: configuration.availableConnectionsDelegate)
        let server = try self.server.buildServer(configuration: serverConfiguration, eventLoopGroup: eventLoopGroup, logger: logger) {
            (request, responseWriter: consuming ResponseWriter, channel) in
            var requestLogger = logger
            requestLogger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let response = try await withLogger(requestLogger) { requestLogger in
                let context = Responder.Context(source: .init(channel: channel, logger: requestLogger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as HTTPParserError {
                    throw error
                } catch {
                    requestLogger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                    response = Response(status: .internalServerError, body: .init())
                }
                response.headers[.date] = date.current()
                if let serverName { response.headers[.server] = serverName }
                return response
            }
            do {
                try await responseWriter.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // A parser error thrown from here would make the server write a second
                // response; any other error just closes the connection.
                throw ParseErrorWhileWritingResponse()
            }
        } onServerRunning: {
            await self.onServerRunning($0)
        }
        // (Hummingbird's `beforeServerStarts` processes are not supported: the panel has none.)
        try await ServiceGroup(configuration: .init(services: services + [server], logger: logger)).run()
    }
}

private struct ParseErrorWhileWritingResponse: Error {}

/// The `Date` header's text, formatted once per second by whichever response needs it.
final class HTTPDateHeader: Sendable {
    private let cached = Mutex<(second: Int64, text: String)>((-1, ""))

    func current() -> String {
        let second = Int64(Date().timeIntervalSince1970.rounded(.down))
        return cached.withLock { cached in
            if cached.second != second { cached = (second, Timestamp.httpDate(second * 1000)) }
            return cached.text
        }
    }
}
