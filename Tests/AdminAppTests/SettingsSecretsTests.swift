import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TenantSealing
import Testing

@testable import AdminApp

/// The provider's own mail password is sealed in its store with the key from its secret files.
@Suite struct SettingsSecretsTests {
    static let key = String(repeating: "3c", count: 32)
    static let otherKey = String(repeating: "a7", count: 32)

    func sealer(_ key: String = key) throws -> SettingsSealer { try SettingsSealer(keyHex: key, provider: "acme") }

    func logger() -> Logger {
        var logger = Logger(label: "sec-test")
        logger.logLevel = .critical
        return logger
    }

    @Test func aPasswordSetInTheFormIsStoredSealedAndOpensForDelivery() async throws {
        let harness = try Harness(now: RouterTests.now)
        var configuration = harness.configuration
        configuration.settingsSealer = try sealer()
        let app = try await buildApplication(configuration: configuration, store: harness.db.store, readings: harness.db.readings, logger: logger())
        try await app.test(.router) { client in
            var browser = Browser()
            try await browser.signIn(client)
            let saved = try await browser.post(client, "/settings/mail", [
                ("smtp_url", "smtp://mail.example.com:587"), ("mail_from", "panel@acme.example"), ("smtp_user", "u"), ("smtp_password", "pa55-Secret"),
            ])
            #expect(saved.status == .seeOther)
            let stored = try #require(try await harness.db.store.settings()["smtp_password"])
            #expect(stored.hasPrefix("sealed:v1:"))
            #expect(!stored.contains("pa55"))
            #expect(try await browser.get(client, "/settings").text.contains("one is stored"))
            // Saving again without a password keeps the stored one (still sealed, still the same secret).
            #expect(try await browser.post(client, "/settings/mail", [("smtp_url", "smtp://mail.example.com:587"), ("mail_from", "panel@acme.example")]).status == .seeOther)
        }
        let secrets = SettingsSecrets(sealer: try sealer(), logger: logger())
        let stored = try await harness.db.store.settings()
        #expect(MailServerSettings(stored: secrets.open(stored)).configuration(fallback: nil)?.password == "pa55-Secret")
        // A copy of the store without the key: the password is not there to read.
        let thief = SettingsSecrets(sealer: try sealer(Self.otherKey), logger: logger())
        #expect(MailServerSettings(stored: thief.open(stored)).password == "")
        #expect(MailServerSettings(stored: SettingsSecrets(sealer: nil, logger: logger()).open(stored)).password == "")
    }

    @Test func plainTextFromBeforeIsSealedOnStart() async throws {
        let harness = try Harness(now: RouterTests.now)
        try await harness.db.store.setSettings(["smtp_url": "smtp://mail.example.com", "mail_from": "a@b.example", "smtp_password": "old-plain-pw"])
        var configuration = harness.configuration
        configuration.settingsSealer = try sealer()
        _ = try await buildApplication(configuration: configuration, store: harness.db.store, readings: harness.db.readings, logger: logger())
        let stored = try #require(try await harness.db.store.settings()["smtp_password"])
        #expect(stored.hasPrefix("sealed:v1:"))
        #expect(try sealer().open(stored, name: "smtp_password") == "old-plain-pw")
        // A second start leaves the sealed value as it is.
        _ = try await buildApplication(configuration: configuration, store: harness.db.store, readings: harness.db.readings, logger: logger())
        #expect(try await harness.db.store.settings()["smtp_password"] == stored)
    }

    @Test func withoutAKeyValuesStayPlain() async throws {
        let harness = try Harness(now: RouterTests.now)
        try await harness.db.store.setSettings(["smtp_password": "plain-pw"])
        _ = try await harness.app()
        #expect(try await harness.db.store.settings()["smtp_password"] == "plain-pw")
    }
}
