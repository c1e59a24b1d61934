import ArgumentParser
import FoundationEssentials
import TenantTime
import GatewaySimulator

/// `tenant-gateway-sim`: plays solar-site gateways against a tenant-ingest server.
@main
struct SimulatorMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-gateway-sim",
        abstract: "Play N gateways with M sensors each against a tenant-ingest server, then print what happened.",
        discussion: "Targets only the address you give (default 127.0.0.1:6000). Stops by itself after --duration seconds or --reports reports per gateway.")

    @Option(help: "Server address HOST:PORT.")
    var target = "127.0.0.1:6000"
    @Option(help: "Number of gateways (one connection each).")
    var gateways = 10
    @Option(help: "Sensors per gateway (readings per report).")
    var sensors = 10
    @Option(help: "Gateway id prefix; ids are PREFIX00000, PREFIX00001, ...")
    var prefix = "gw-"
    @Option(help: "Reports per gateway, then stop (default: until --duration).")
    var reports: Int?
    @Option(help: "Stop sending after this many seconds.")
    var duration = 10.0
    @Option(help: "Reports per second per gateway; 0 = as fast as the pipeline window allows.")
    var rate = 1.0
    @Option(help: "Simulated seconds between two reports (time acceleration = interval x rate).")
    var interval: Int64 = 60
    @Option(help: "Simulated start time, RFC 3339 UTC (default 2026-06-19T00:00:00Z).")
    var start: String?
    @Option(help: "Reports in flight per gateway without a reply (pipelining).")
    var window = 16
    @Option(help: "Gateway key sent with every report.")
    var key: String?
    @Option(help: "Percent of reports sent twice (come back as duplicates).")
    var duplicates = 0.0
    @Option(help: "Percent of reports with an invalid reading (nacked).")
    var invalid = 0.0
    @Option(help: "Percent of reports sent as broken XML (the server closes; the gateway reconnects and resends).")
    var malformed = 0.0
    @Flag(help: "Write every report in small separately flushed pieces.")
    var splitWrites = false
    @Option(help: "Seed for clouds and faults.")
    var seed: UInt64 = 1
    @Option(help: "Seconds to wait for outstanding replies after --duration.")
    var drain = 5.0
    @Flag(help: "Speak TLS to the server (protocol v1 unchanged inside); the server name checked is the --target host.")
    var tls = false
    @Option(help: "PEM CA certificate(s) the server's certificate must chain to (default: the system's roots); implies --tls.")
    var tlsCaFile: String?
    @Option(help: "PEM client certificate for mutual TLS (its CN/SAN names the gateway); implies --tls, needs --tls-key-file.")
    var tlsCertFile: String?
    @Option(help: "PEM private key of --tls-cert-file.")
    var tlsKeyFile: String?
    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard gateways > 0, sensors > 0, window > 0, duration > 0, rate >= 0, interval > 0 else {
            throw ValidationError("--gateways, --sensors, --window, --duration and --interval must be positive, --rate >= 0")
        }
        guard let colon = target.lastIndex(of: ":"), Int(target[target.index(after: colon)...]) != nil else {
            throw ValidationError("--target must be HOST:PORT")
        }
        guard (tlsCertFile == nil) == (tlsKeyFile == nil) else {
            throw ValidationError("--tls-cert-file and --tls-key-file go together")
        }
    }

    func run() async throws {
        let colon = target.lastIndex(of: ":")!
        var host = String(target[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = Int(target[target.index(after: colon)...])!
        var startTime: Int64 = 1_781_827_200_000
        if let start {
            guard let millis = Timestamp.parseRFC3339(start) else { throw ValidationError("--start must be RFC 3339, e.g. 2026-06-19T00:00:00Z") }
            startTime = millis
        }
        let configuration = SimulatorConfiguration(
            host: host, port: port, gateways: gateways, sensors: sensors, gatewayPrefix: prefix, reportsPerGateway: reports,
            duration: duration, rate: rate, interval: interval, startTime: startTime, window: window, key: key,
            duplicatePercent: duplicates, invalidPercent: invalid, malformedPercent: malformed, splitWrites: splitWrites, seed: seed,
            drainTimeout: drain,
            tls: tls || tlsCaFile != nil || tlsCertFile != nil
                ? try SimulatorTLS(caFile: tlsCaFile, certificateFile: tlsCertFile, keyFile: tlsKeyFile) : nil)
        let report = try await GatewaySimulator(configuration: configuration).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.summary)
        }
    }
}
