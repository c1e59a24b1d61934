/// Where a provider's data lives, as given by `--store URL` or `TENANT_STORE`:
/// `sqlite:PATH` (one database file per provider, the default) or
/// `cassandra://HOST[:PORT][,HOST[:PORT]...]/KEYSPACE`.
public enum StoreURL: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case cassandra(contactPoints: [HostPort], keyspace: String)

    /// The CQL native protocol's default port.
    public static let defaultCassandraPort = 9042

    /// Parses a store URL; the error says what was wrong.
    public init(parsing text: String) throws(StoreURLError) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            // Accept the URL spelling sqlite:///abs/path as well as sqlite:/abs/path.
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw StoreURLError("sqlite store URL has no path: expected sqlite:PATH") }
            guard !path.utf8.contains(0) else { throw StoreURLError("sqlite path contains a NUL byte") }
            self = .sqlite(path: path)
            return
        }
        if text.hasPrefix("cassandra://") {
            let rest = text.dropFirst("cassandra://".count)
            guard let slash = rest.firstIndex(of: "/") else {
                throw StoreURLError("cassandra store URL has no keyspace: expected cassandra://HOST[:PORT][,...]/KEYSPACE")
            }
            let hostsPart = rest[..<slash]
            let keyspace = String(rest[rest.index(after: slash)...])
            guard ProviderID.isValid(keyspace) else {
                throw StoreURLError("invalid keyspace '\(keyspace)' in store URL: \(ProviderID.rule)")
            }
            let hosts = try hostsPart.split(separator: ",", omittingEmptySubsequences: false).map { part throws(StoreURLError) in
                try HostPort(parsing: String(part), defaultPort: StoreURL.defaultCassandraPort)
            }
            guard !hosts.isEmpty else { throw StoreURLError("cassandra store URL names no contact point") }
            self = .cassandra(contactPoints: hosts, keyspace: keyspace)
            return
        }
        throw StoreURLError("unsupported store URL '\(text)': expected sqlite:PATH or cassandra://HOST[:PORT][,...]/KEYSPACE")
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .cassandra(let hosts, let keyspace):
            return "cassandra://\(hosts.map(\.description).joined(separator: ","))/\(keyspace)"
        }
    }
}

/// A `HOST:PORT` pair (IPv6 hosts in brackets: `[::1]:9042`).
public struct HostPort: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST`, `HOST:PORT` or `[V6]:PORT`; a missing port is `defaultPort`
    /// (pass `nil` to require one).
    public init(parsing text: String, defaultPort: Int?) throws(StoreURLError) {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw StoreURLError("unclosed '[' in address '\(text)'") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw StoreURLError("unexpected text after ']' in address '\(text)'") }
                portText = after.dropFirst()
            }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw StoreURLError("address '\(text)' has no host") }
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw StoreURLError("invalid port '\(portText)' in address '\(text)': expected 1-65535")
            }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw StoreURLError("address '\(text)' has no port: expected HOST:PORT")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A malformed store URL or address.
public struct StoreURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
