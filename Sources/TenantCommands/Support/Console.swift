import Foundation

/// Where commands write: stdout for results, stderr for messages and logs. A task-local
/// so tests capture output without touching the process's file descriptors.
public struct Console: Sendable {
    /// Writes command output.
    public var out: @Sendable (String) -> Void
    /// Writes messages and errors.
    public var err: @Sendable (String) -> Void
    /// Whether a person can answer a question on stdin.
    public var isInteractive: @Sendable () -> Bool
    /// Reads one answer line.
    public var readLine: @Sendable () -> String?

    /// Creates a console from its parts.
    public init(
        out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
        isInteractive: @escaping @Sendable () -> Bool, readLine: @escaping @Sendable () -> String?
    ) {
        self.out = out
        self.err = err
        self.isInteractive = isInteractive
        self.readLine = readLine
    }

    /// The process's stdout, stderr and stdin.
    public static let standard = Console(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) },
        isInteractive: { isatty(STDIN_FILENO) == 1 },
        readLine: { Swift.readLine() })

    /// The console commands use.
    @TaskLocal public static var current = Console.standard

    /// Writes `line` and a newline to stdout.
    public static func print(_ line: String) { current.out(line + "\n") }
    /// Writes `line` and a newline to stderr.
    public static func printError(_ line: String) { current.err(line + "\n") }
}

/// JSON output: pretty, sorted keys, snake_case field names.
enum JSONOutput {
    /// `snakeCase` converts property names; off for documents that carry engine JSON,
    /// whose dictionary keys must stay as they are.
    static func render(_ value: some Encodable, snakeCase: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return collapsingEmpty(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// `[]` and `{}` for empty collections, where Foundation's pretty printer writes an
    /// open bracket, a blank line and a close bracket. Safe on pretty-printed JSON: a raw
    /// newline can only be layout, never part of a string.
    static func collapsingEmpty(_ json: String) -> String {
        json.replacing(/\[\n\n[ ]*\]/, with: "[]").replacing(/\{\n\n[ ]*\}/, with: "{}")
    }

    static func print(_ value: some Encodable, snakeCase: Bool = true) throws {
        Console.print(try render(value, snakeCase: snakeCase))
    }
}
