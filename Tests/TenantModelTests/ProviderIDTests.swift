import Testing
import TenantModel

@Suite struct ProviderIDTests {
    @Test(arguments: ["a", "acme", "acme_solar", "a1", "z" + String(repeating: "9", count: 47)])
    func acceptsValidIDs(_ value: String) throws {
        #expect(try ProviderID(value).rawValue == value)
    }

    @Test(arguments: ["", "Acme", "1acme", "_acme", "acme-solar", "acme.solar", "acme solar", "ä", "a" + String(repeating: "b", count: 48), "acme\n"])
    func refusesInvalidIDs(_ value: String) {
        #expect(throws: InvalidProviderID(value: value)) { try ProviderID(value) }
    }

    @Test func errorNamesTheRule() {
        let error = InvalidProviderID(value: "Bad")
        #expect(error.description.contains("[a-z][a-z0-9_]{0,47}"))
        #expect(error.description.contains("'Bad'"))
    }
}

@Suite struct StoreURLTests {
    @Test func parsesSQLite() throws {
        #expect(try StoreURL(parsing: "sqlite:/data/acme.db") == .sqlite(path: "/data/acme.db"))
        #expect(try StoreURL(parsing: "sqlite:///data/acme.db") == .sqlite(path: "/data/acme.db"))
        #expect(try StoreURL(parsing: "sqlite:acme.db") == .sqlite(path: "acme.db"))
    }

    @Test func parsesCassandra() throws {
        let url = try StoreURL(parsing: "cassandra://db1:9043,db2,[::1]:9044/acme")
        #expect(url == .cassandra(
            contactPoints: [HostPort(host: "db1", port: 9043), HostPort(host: "db2", port: 9042), HostPort(host: "::1", port: 9044)],
            keyspace: "acme"))
        #expect(url.description == "cassandra://db1:9043,db2:9042,[::1]:9044/acme")
    }

    @Test(arguments: ["", "sqlite:", "postgres://x/y", "cassandra://db1", "cassandra://db1/Bad-Name", "cassandra://db1:99999/acme", "cassandra://,/acme", "cassandra://db1:x/acme"])
    func refusesMalformed(_ text: String) {
        #expect(throws: StoreURLError.self) { try StoreURL(parsing: text) }
    }
}
