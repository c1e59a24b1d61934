import Hummingbird
import TextFormat

/// A parsed `application/x-www-form-urlencoded` body or query string.
public struct FormData: Sendable {
    public private(set) var fields: [String: String] = [:]

    public init() {}

    /// Parses `text`; a malformed percent escape is a bad request.
    public init(parsing text: Substring) throws(AdminError) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
            fields[key] = value
        }
    }

    private static func decode(_ raw: Substring) throws(AdminError) -> String {
        guard let decoded = raw.replacing("+", with: " ").percentDecoded else {
            throw .badRequest("malformed form encoding")
        }
        return decoded
    }

    public subscript(_ key: String) -> String? { fields[key] }

    /// The trimmed value of `key`, nil when missing or blank.
    public func text(_ key: String) -> String? {
        guard let value = fields[key]?.trimmed, !value.isEmpty else { return nil }
        return value
    }

    /// The trimmed value of `key`, or a 400 naming the field.
    public func required(_ key: String, label: String? = nil, field: String? = nil) throws(AdminError) -> String {
        guard let value = text(key) else { throw .badRequest("\(label ?? key) is required", field: field) }
        return value
    }
}

extension Request {
    /// Reads and parses a form body of at most 64 KiB.
    func formData() async throws -> FormData {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: 64 * 1024)
        } catch {
            throw AdminError(.contentTooLarge, "form too large (limit 64 KiB)")
        }
        return try FormData(parsing: Substring(String(buffer: buffer)))
    }

    /// The query string parameters.
    var query: FormData {
        get throws(AdminError) { try FormData(parsing: Substring(uri.query ?? "")) }
    }
}
