/// A solar provider's id. It doubles as the provider's keyspace name, so it
/// follows the strictest of the rules that apply to it (Cassandra keyspace
/// names, Docker object names, file names): `[a-z][a-z0-9_]{0,47}`.
public struct ProviderID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The rule every id must match, in the words the CLI prints.
    public static let rule = "a provider id is 1 to 48 characters: a lowercase letter, then lowercase letters, digits or '_' ([a-z][a-z0-9_]{0,47})"

    /// The validated id.
    public let rawValue: String

    /// Validates `rawValue`; throws ``InvalidProviderID`` naming the rule.
    public init(_ rawValue: String) throws(InvalidProviderID) {
        guard Self.isValid(rawValue) else { throw InvalidProviderID(value: rawValue) }
        self.rawValue = rawValue
    }

    /// Whether `value` matches `[a-z][a-z0-9_]{0,47}`.
    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...48).contains(bytes.count), let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: ProviderID, rhs: ProviderID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(String.self)
        try self.init(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A string that is not a valid ``ProviderID``.
public struct InvalidProviderID: Error, Sendable, Equatable, CustomStringConvertible {
    /// The refused value.
    public let value: String

    public init(value: String) { self.value = value }

    public var description: String {
        "invalid provider id '\(value)': \(ProviderID.rule)"
    }
}
