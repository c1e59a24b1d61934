import ArgumentParser

/// The options `diff` and `apply` share.
public struct FleetFileOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("The fleet file (YAML; see docs/operations.md, Fleets).", valueName: "FILE"))
    public var file: String

    @Flag(help: "Also remove providers that carry this fleet's name but are no longer listed (data kept unless --purge-data).")
    public var prune = false

    @Flag(help: "Print the result as JSON.")
    public var json = false

    public init() {}

    /// The parsed, validated file. Every problem goes to stderr as one
    /// `tenantctl: error: FILE:LINE: ...` line, then the command exits 64.
    func load() throws -> FleetFile {
        do {
            return try FleetFile.load(path: file)
        } catch {
            for line in error.lines { Console.printError("tenantctl: error: \(line)") }
            throw ExitCode(ExitStatus.usage)
        }
    }
}
