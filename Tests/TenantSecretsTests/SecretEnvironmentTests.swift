import Foundation
import Testing

@testable import TenantSecrets

@Suite struct SecretEnvironmentTests {
    /// A private directory with `files` (name → content), removed afterwards.
    func withFiles(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sec-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, content) in files { try Data(content.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)")) }
        try body(directory)
    }

    @Test func fileVariablesBecomeTheSecretWithoutTheTrailingNewline() throws {
        try withFiles(["pw": "s3cret pass\n", "user": "cass_user"]) { dir in
            let resolved = try SecretEnvironment.resolve(in: [
                "TENANT_CASSANDRA_PASSWORD_FILE": "\(dir)/pw", "TENANT_CASSANDRA_USERNAME_FILE": "\(dir)/user", "TENANT_STORE": "sqlite:x",
            ])
            #expect(resolved.environment == ["TENANT_CASSANDRA_PASSWORD": "s3cret pass", "TENANT_CASSANDRA_USERNAME": "cass_user", "TENANT_STORE": "sqlite:x"])
            #expect(Set(resolved.readFromFiles) == ["TENANT_CASSANDRA_PASSWORD", "TENANT_CASSANDRA_USERNAME"])
            #expect(resolved.givenDirectly.isEmpty)
        }
    }

    @Test func aSecretInTheEnvironmentStillWorksAndIsReportedForTheWarning() throws {
        let resolved = try SecretEnvironment.resolve(in: ["TENANT_SMTP_PASSWORD": "direct"])
        #expect(resolved.environment["TENANT_SMTP_PASSWORD"] == "direct")
        #expect(resolved.givenDirectly == ["TENANT_SMTP_PASSWORD"])
    }

    @Test func aMissingFileIsOneLineNamingTheFileAndVariable() throws {
        let error = #expect(throws: SecretFileError.self) {
            try SecretEnvironment.resolve(in: ["TENANT_SMTP_PASSWORD_FILE": "/nonexistent/sec_pw"])
        }
        #expect(error?.description == "cannot read secret file /nonexistent/sec_pw (TENANT_SMTP_PASSWORD_FILE): No such file or directory")
    }

    @Test func anEmptyFileAndBothFormsAtOnceAreRefusedWithoutShowingTheValue() throws {
        try withFiles(["empty": "\n", "pw": "hunter2"]) { dir in
            let empty = #expect(throws: SecretFileError.self) { try SecretEnvironment.resolve(in: ["TENANT_SETTINGS_KEY_FILE": "\(dir)/empty"]) }
            #expect(empty?.reason == "is empty")
            let both = #expect(throws: SecretFileError.self) {
                try SecretEnvironment.resolve(in: ["TENANT_SMTP_PASSWORD_FILE": "\(dir)/pw", "TENANT_SMTP_PASSWORD": "other"])
            }
            #expect(both?.description.contains("hunter2") == false)
            #expect(both?.description.contains("other") == false)
            #expect(both?.reason == "TENANT_SMTP_PASSWORD is set too; set only one of them")
        }
    }

    @Test func anUnreadableFileNamesTheSystemReason() throws {
        // Root reads any mode, so use a directory: read(2) fails with EISDIR.
        try withFiles([:]) { dir in
            let error = #expect(throws: SecretFileError.self) { try SecretEnvironment.resolve(in: ["TENANT_CASSANDRA_PASSWORD_FILE": dir]) }
            #expect(error?.description == "cannot read secret file \(dir) (TENANT_CASSANDRA_PASSWORD_FILE): Is a directory")
        }
    }

    @Test func otherVariablesAreLeftAlone() throws {
        let resolved = try SecretEnvironment.resolve(in: ["TENANT_LISTEN_FILE": "/x", "PATH": "/bin"])
        #expect(resolved.environment == ["TENANT_LISTEN_FILE": "/x", "PATH": "/bin"])
    }
}
