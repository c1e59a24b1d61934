import Testing

@testable import TenantSealing

@Suite struct SettingsSealerTests {
    let keyA = String(repeating: "0123456789abcdef", count: 4)
    let keyB = String(repeating: "fedcba9876543210", count: 4)

    @Test func aSealedValueOpensWithTheSameKeyProviderAndName() throws {
        let sealer = try SettingsSealer(keyHex: keyA, provider: "sec_a")
        let sealed = try sealer.seal("mail pässword", name: "smtp_password")
        #expect(sealed.hasPrefix("sealed:v1:"))
        #expect(!sealed.contains("mail"))
        #expect(try sealer.open(sealed, name: "smtp_password") == "mail pässword")
        // A fresh nonce each time: equal passwords do not show as equal rows.
        #expect(try sealer.seal("mail pässword", name: "smtp_password") != sealed)
    }

    @Test func anotherKeyNameOrProviderDoesNotOpenIt() throws {
        let sealed = try SettingsSealer(keyHex: keyA, provider: "sec_a").seal("pw", name: "smtp_password")
        #expect(throws: SettingsSealer.Failure.self) { try SettingsSealer(keyHex: keyB, provider: "sec_a").open(sealed, name: "smtp_password") }
        #expect(throws: SettingsSealer.Failure.self) { try SettingsSealer(keyHex: keyA, provider: "sec_b").open(sealed, name: "smtp_password") }
        #expect(throws: SettingsSealer.Failure.self) { try SettingsSealer(keyHex: keyA, provider: "sec_a").open(sealed, name: "other") }
    }

    @Test func anAlteredValueDoesNotOpen() throws {
        let sealer = try SettingsSealer(keyHex: keyA, provider: "sec_a")
        var sealed = Array(try sealer.seal("pw", name: "n").utf8)
        let index = sealed.count - 5
        sealed[index] = sealed[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SettingsSealer.Failure.self) { try sealer.open(String(decoding: sealed, as: UTF8.self), name: "n") }
        #expect(throws: SettingsSealer.Failure.self) { try sealer.open("plain", name: "n") }
    }

    @Test(arguments: ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 66)])
    func aMalformedKeyIsRefused(key: String) {
        #expect(throws: SettingsSealer.Failure.self) { try SettingsSealer(keyHex: key, provider: "p") }
    }
}
