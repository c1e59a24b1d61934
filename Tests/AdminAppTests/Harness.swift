import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import TenantAuth
import TenantModel
@testable import AdminApp
import AdminTestSupport

/// A clock tests can move.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ date: Date) { current = Mutex(date) }
    var now: Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// One provider database plus an app over it, with the bootstrap admin account.
struct Harness {
    static let password = "correct-horse-battery"
    /// Computed once: yescrypt is deliberately slow.
    static let bootstrapHash = try! PasswordHasher.hash(password)

    let db: TestDatabase
    let clock: TestClock

    init(now: Date = Date()) throws {
        db = try TestDatabase()
        clock = TestClock(now)
    }

    var configuration: AdminConfiguration {
        let clock = self.clock
        return AdminConfiguration(
            provider: try! ProviderID("acme"), host: "127.0.0.1", port: 0, bootstrapHash: Self.bootstrapHash,
            mailInterval: .seconds(3600), rollupInterval: .seconds(3600), now: { clock.now })
    }

    func app(_ adjust: (inout AdminConfiguration) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "admin-test")
        logger.logLevel = .warning
        var configuration = self.configuration
        adjust(&configuration)
        return try await buildApplication(configuration: configuration, store: db.store, readings: db.readings, logger: logger)
    }

    var services: AdminServices {
        var logger = Logger(label: "admin-test")
        logger.logLevel = .warning
        return AdminServices(configuration: configuration, store: db.store, readings: db.readings, logger: logger)
    }
}

/// Cookies a browser would hold for the app.
struct Browser {
    var cookies: [String: String] = [:]

    var header: String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func absorb(_ response: TestResponse) {
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            if value.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
    }

    var csrf: String { cookies["tc_csrf"] ?? "" }

    func headers(form: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [.cookie: header]
        if form { fields[.contentType] = "application/x-www-form-urlencoded" }
        return fields
    }

    static func encode(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._*"))
        return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&"))
    }

    /// GET with cookies; remembers new cookies.
    @discardableResult
    mutating func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: headers())
        absorb(response)
        return response
    }

    /// POST a form carrying the CSRF token; remembers new cookies.
    @discardableResult
    mutating func post(_ client: some TestClientProtocol, _ uri: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> TestResponse {
        if cookies["tc_csrf"] == nil { try await get(client, "/login") }
        let body = Browser.encode((csrf ? [("csrf", self.csrf)] : []) + fields)
        let response = try await client.execute(uri: uri, method: .post, headers: headers(form: true), body: body)
        absorb(response)
        return response
    }

    /// Signs in through the real form.
    mutating func signIn(_ client: some TestClientProtocol, user: String = "admin", password: String = Harness.password) async throws {
        try await get(client, "/login")
        let response = try await post(client, "/login", [("username", user), ("password", password)])
        #expect(response.status == .seeOther)
        #expect(cookies["tc_session"] != nil)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
