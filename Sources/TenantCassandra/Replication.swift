/// How a provider's keyspace is replicated: `simple:3` (SimpleStrategy, one data centre)
/// or `dc1:3,dc2:2` (NetworkTopologyStrategy, a factor per data centre).
public enum Replication: Sendable, Hashable, CustomStringConvertible {
    case simple(factor: Int)
    case networkTopology([String: Int])

    /// Parses the `--replication` spelling; the error names the expected forms.
    public init(parsing text: String) throws(ReplicationError) {
        let trimmed = trim(text)
        let usage = "expected simple:FACTOR (e.g. simple:3) or DC:FACTOR[,DC:FACTOR...] (e.g. dc1:3,dc2:2)"
        if trimmed.lowercased().hasPrefix("simple:") {
            let factorText = trimmed.dropFirst("simple:".count)
            guard let factor = Int(factorText), (1...100).contains(factor) else {
                throw ReplicationError("invalid replication factor '\(factorText)' in '\(text)': \(usage)")
            }
            self = .simple(factor: factor)
            return
        }
        var factors: [String: Int] = [:]
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, let factor = Int(pieces[1]), (0...100).contains(factor) else {
                throw ReplicationError("invalid replication '\(text)': \(usage)")
            }
            let dc = trim(pieces[0])
            // Data centre names are interpolated into CQL as string literals: keep them plain.
            guard !dc.isEmpty, dc.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }), dc.lowercased() != "simple" else {
                throw ReplicationError("invalid data centre name '\(dc)' in '\(text)': letters, digits, '_', '-', '.'")
            }
            guard factors.updateValue(factor, forKey: dc) == nil else {
                throw ReplicationError("data centre '\(dc)' named twice in '\(text)'")
            }
        }
        guard !factors.isEmpty, factors.values.contains(where: { $0 > 0 }) else {
            throw ReplicationError("invalid replication '\(text)': \(usage)")
        }
        self = .networkTopology(factors)
    }

    /// The CQL map literal of `WITH replication = ...`.
    public var cql: String {
        switch self {
        case .simple(let factor):
            return "{'class': 'SimpleStrategy', 'replication_factor': \(factor)}"
        case .networkTopology(let factors):
            let entries = factors.keys.sorted().map { "'\($0)': \(factors[$0]!)" }
            return "{'class': 'NetworkTopologyStrategy', \(entries.joined(separator: ", "))}"
        }
    }

    /// The `--replication` spelling.
    public var description: String {
        switch self {
        case .simple(let factor): "simple:\(factor)"
        case .networkTopology(let factors): factors.keys.sorted().map { "\($0):\(factors[$0]!)" }.joined(separator: ",")
        }
    }
}

/// A malformed replication setting.
public struct ReplicationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

private func trim(_ text: some StringProtocol) -> String {
    String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
}
