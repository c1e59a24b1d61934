import Testing
@testable import TenantAuth

@Suite struct PasswordHasherTests {
    @Test func hashVerifiesOnlyTheRightPassword() throws {
        let hash = try PasswordHasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$y$"))
        #expect(!hash.contains("correct"))
        #expect(PasswordHasher.verify("correct horse battery staple", against: hash))
        #expect(!PasswordHasher.verify("correct horse battery stapl", against: hash))
        #expect(!PasswordHasher.verify("", against: hash))
    }

    @Test func saltsDiffer() throws {
        #expect(try PasswordHasher.hash("same") != (try PasswordHasher.hash("same")))
    }

    @Test func garbageHashNeverVerifies() {
        #expect(!PasswordHasher.verify("x", against: ""))
        #expect(!PasswordHasher.verify("x", against: "not-a-hash"))
        #expect(!PasswordHasher.verify("x", against: "*0"))
    }

    @Test func nulBytesAreRefused() {
        #expect(throws: PasswordHashError.self) { try PasswordHasher.hash("a\u{0}b") }
    }

    @Test func generatedSecretsHaveTheirShape() {
        let password = SecretGenerator.password()
        #expect(password.count == 20)
        #expect(password.allSatisfy { $0.isLetter || $0.isNumber })
        let token = SecretGenerator.token()
        #expect(token.count == 64)
        #expect(token.allSatisfy { $0.isHexDigit })
        #expect(SecretGenerator.token() != token)
    }
}
