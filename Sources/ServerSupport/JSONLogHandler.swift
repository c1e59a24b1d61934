import FoundationEssentials
import Logging
import TenantTime
import TextFormat

/// Writes each log event as one JSON object on one line of stderr:
/// `{"level":"info","time":"2026-12-02T07:00:00.123Z","provider":"acme","message":"…","metadata":{…}}`.
/// `provider` comes from the `tenant.id` metadata (null when there is none); the rest of the
/// metadata goes under `metadata`, nested values as JSON arrays and objects.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void
    let now: @Sendable () -> Int64

    /// A handler writing to stderr.
    public init(label: String, level: Logger.Level) {
        self.init(label: label, level: level, now: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }) { line in
            var standardError = StandardError()
            standardError.write(line)
        }
    }

    /// A handler writing each line (with its newline) to `write`; `now` gives UTC milliseconds.
    public init(label: String, level: Logger.Level, now: @escaping @Sendable () -> Int64, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = level
        self.now = now
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let provider = merged.removeValue(forKey: "tenant.id")
        var line = "{\"level\":"
        Self.appendString(event.level.rawValue, to: &line)
        line += ",\"time\":"
        Self.appendString(Timestamp.rfc3339(now()), to: &line)
        line += ",\"provider\":"
        if let provider { Self.append(provider, to: &line) } else { line += "null" }
        line += ",\"message\":"
        Self.appendString(event.message.description, to: &line)
        line += ",\"metadata\":"
        Self.append(.dictionary(merged), to: &line)
        line += "}\n"
        write(line)
    }

    static func append(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            // Sorted keys: the same event always gives the same line.
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                append(entries[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, so a
    /// message with a newline stays on its line.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case "\u{2028}": line += "\\u2028"
            case "\u{2029}": line += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }
}
