import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import AdminApp

/// Real yescrypt, counting the checks made and the most running at once.
final class CountingPasswords: Sendable {
    private struct Counts {
        var checks = 0
        var running = 0
        var peak = 0
    }

    private let counts = Mutex(Counts())
    var checks: Int { counts.withLock { $0.checks } }
    var peak: Int { counts.withLock { $0.peak } }

    var functions: PasswordFunctions {
        PasswordFunctions(hash: PasswordFunctions.yescrypt.hash) { password, stored in
            self.counts.withLock { counts in
                counts.checks += 1
                counts.running += 1
                counts.peak = max(counts.peak, counts.running)
            }
            defer { self.counts.withLock { $0.running -= 1 } }
            return PasswordFunctions.yescrypt.verify(password, stored)
        }
    }
}

/// Sign-in limits through the router (HummingbirdTesting): parallel posts, shared addresses.
@Suite struct SignInLimitTests {
    @Test func sixtyParallelWrongPasswordsEvaluateExactlyTheLimit() async throws {
        let harness = try Harness(now: RouterTests.now)
        let passwords = CountingPasswords()
        try await harness.app { $0.passwordFunctions = passwords.functions }.test(.router) { client in
            var browser = Browser()
            try await browser.get(client, "/login")
            let headers = browser.headers(form: true)
            let body = Browser.encode([("csrf", browser.csrf), ("username", "admin"), ("password", "wrong")])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<60 {
                    group.addTask { try await client.execute(uri: "/login", method: .post, headers: headers, body: body).status.code }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(passwords.checks == 5)
            #expect(statuses == [401: 5, 429: 55])
            #expect(passwords.peak <= 2)
            // The account is blocked now: even the right password is not compared.
            let locked = try await browser.post(client, "/login", [("username", "admin"), ("password", Harness.password)])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.retryAfter] == "900")
            #expect(passwords.checks == 5)
        }
    }

    @Test func unknownNamesCostOnePasswordCheckLikeWrongPasswords() async throws {
        let harness = try Harness(now: RouterTests.now)
        let passwords = CountingPasswords()
        try await harness.app { $0.passwordFunctions = passwords.functions }.test(.router) { client in
            var browser = Browser()
            let unknown = try await browser.post(client, "/login", [("username", "nobody"), ("password", "x")])
            #expect(unknown.status == .unauthorized)
            #expect(passwords.checks == 1)
            let wrong = try await browser.post(client, "/login", [("username", "admin"), ("password", "x")])
            #expect(wrong.status == .unauthorized)
            #expect(passwords.checks == 2)
            #expect(unknown.text == wrong.text)
        }
    }

    @Test func correctPasswordSignsInFromAnAddressOthersFailFrom() async throws {
        let harness = try Harness(now: RouterTests.now)
        // Router tests have no peer: every request comes from one address, as behind a proxy.
        try await harness.app { $0.loginPolicy.addressLimit = 8 }.test(.router) { client in
            var returning = Browser()
            try await returning.signIn(client)
            var others = Browser()
            for name in ["bob", "carol"] {
                for _ in 0..<3 {
                    #expect(try await others.post(client, "/login", [("username", name), ("password", "guess")]).status == .unauthorized)
                }
            }
            // Below the address limit and with a clean account: a first sign-in works.
            var newcomer = Browser()
            try await newcomer.signIn(client)
            for name in ["dave", "erin"] {
                #expect(try await others.post(client, "/login", [("username", name), ("password", "guess")]).status == .unauthorized)
            }
            // The address is at its limit: names without a device cookie are refused ...
            var stranger = Browser()
            let refused = try await stranger.post(client, "/login", [("username", "admin"), ("password", Harness.password)])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.text.contains("from your network"))
            #expect(try await returning.post(client, "/login", [("username", "frank"), ("password", "guess")]).status == .tooManyRequests)
            // ... but a browser that signed in to the account before still signs in.
            returning.cookies["tc_session"] = nil
            try await returning.signIn(client)
        }
    }
}
