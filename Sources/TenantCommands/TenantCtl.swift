import ArgumentParser
import DockerClient
import Foundation
import TenantModel

/// The `tenantctl` root command: provisions solar providers (tenants) on a Docker engine.
public struct TenantCtl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tenantctl",
        abstract: "Provision and operate solar providers (tenants) on a Docker engine.",
        discussion: """
            Each provider gets a network (tenantctl_ID), a data volume (tenantctl_ID_data), an ingest \
            container (remote_server_ID, gateway port) and an admin container (admin_panel_ID, web port), \
            all labelled io.tenantctl.provider=ID.

            Exit codes: 0 ok (also "already in that state"), 1 failure, 2 changes pending (diff), 3 not found, 4 conflict, \
            64 usage, 69 engine unreachable, 75 engine timeout, 76 engine API too old.
            """,
        version: TenantctlVersion.current,
        subcommands: [
            ProviderStart.self, ProviderStop.self, ProviderRestart.self, ProviderList.self, ProviderStatus.self, ProviderTop.self,
            ProviderLogs.self, ProviderRemove.self, ProviderPlan.self, ProviderResetPassword.self, ProviderBackup.self,
            ProviderRestore.self, ProviderGatewayCA.self, KeyspaceCreate.self, DatabaseCommand.self, Doctor.self, FleetDiff.self, FleetApply.self,
        ]
    )

    public init() {}

    /// Parses `arguments`, runs the command and returns the exit code, printing errors as
    /// one `tenantctl: error: ...` line on stderr (help and version go to stdout).
    public static func run(arguments: [String]) async -> Int32 {
        if let unknown = unknownHelpTopic(arguments) {
            Console.printError("tenantctl: error: no command '\(unknown)': see `tenantctl help` for the list")
            return ExitStatus.usage
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.ok
        } catch let error as TenantCtlError {
            Console.printError("tenantctl: error: \(error.description)")
            return error.exitCode
        } catch let error as DockerError {
            Console.printError("tenantctl: error: \(error.description)")
            return ExitStatus.code(for: error)
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if code == 0 {
                if !message.isEmpty { Console.print(message) }
            } else if !message.isEmpty {  // a bare ExitCode (diff's 2) has said all on stdout
                Console.printError(message)
            }
            return code
        }
    }

    /// The first name after `help` that is no (sub)command: the parser would print the
    /// root help for it and exit 0.
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.first == "help" else { return nil }
        var command: any ParsableCommand.Type = TenantCtl.self
        for name in arguments.dropFirst() where !name.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == name }) else { return name }
            command = next
        }
        return nil
    }

    /// Entry point for the `tenantctl` executable.
    public static func main() async {
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        Foundation.exit(code)
    }
}
