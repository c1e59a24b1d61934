import ArgumentParser
import NIOCore
import ServerSupport
import TenantModel
import TenantSQLite

/// `tenant-ingest`'s flags as typed, before checking; each falls back to the environment
/// variable named in its help.
public struct IngestOptions: ParsableArguments, Sendable {
    @Option(help: "Provider id, [a-z][a-z0-9_]{0,47} [environment: TENANT_PROVIDER].")
    public var provider: String?

    @Option(help: "Store URL: sqlite:PATH or cassandra://HOST[:PORT][,...]/KEYSPACE [environment: TENANT_STORE].")
    public var store: String?

    @Option(help: "Address to listen on for gateways, HOST:PORT (default 0.0.0.0:6000) [environment: TENANT_LISTEN].")
    public var listen: String?

    @Option(help: "Serve Prometheus metrics on this separate HOST:PORT (default: none) [environment: TENANT_METRICS_LISTEN].")
    public var metricsListen: String?

    @Option(help: "normal (WAL, synchronous=NORMAL) or full (sync every commit) (default normal) [environment: TENANT_DURABILITY].")
    public var durability: String?

    @Option(help: "Seconds a connection may stay silent before it is closed (default 300) [environment: TENANT_IDLE_TIMEOUT].")
    public var idleTimeout: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info) [environment: TENANT_LOG_LEVEL].")
    public var logLevel: String?

    @Option(help: "Log lines as text or json (one object per line) (default text) [environment: TENANT_LOG_FORMAT].")
    public var logFormat: String?

    @Option(help: "TLS on the gateway port: off, optional (TLS or plain, told apart by the first byte) or required (default off) [environment: TENANT_TLS].")
    public var tls: String?

    @Option(help: "PEM certificate chain of the gateway port, server certificate first [environment: TENANT_TLS_CERT_FILE].")
    public var tlsCertFile: String?

    @Option(help: "PEM private key of that certificate [environment: TENANT_TLS_KEY_FILE].")
    public var tlsKeyFile: String?

    @Option(help: "PEM CA certificates that sign gateways' client certificates (mutual TLS: the certificate's CN or DNS SAN names the gateway and replaces its key) [environment: TENANT_TLS_CLIENT_CA_FILE].")
    public var tlsClientCaFile: String?

    @Flag(help: "Create or migrate the store's schema, then exit.")
    public var migrateOnly = false

    @Flag(help: "Exit 0 if a server accepts TCP connections on the listen address, 1 otherwise (Docker HEALTHCHECK).")
    public var healthCheck = false

    @Flag(help: "Print the metrics the server on --metrics-listen serves, exit 1 if it does not answer (tenantctl status).")
    public var printMetrics = false

    public init() {}
}

/// What `tenant-ingest` was asked to do.
public enum IngestInvocation: Sendable, Equatable {
    /// Probe the server on this address and exit.
    case healthCheck(HostPort)
    /// Print the metrics served on this address and exit.
    case printMetrics(HostPort)
    /// Migrate (``IngestServerSettings/migrateOnly``) or serve.
    case run(IngestServerSettings)
}

/// Everything `tenant-ingest` needs to run, checked: flags first, then environment, then defaults.
public struct IngestServerSettings: Sendable, Equatable {
    /// Nil only with ``migrateOnly``.
    public var provider: ProviderID?
    public var store: StoreURL
    public var listen: HostPort
    /// Where `/metrics` is served; nil serves none.
    public var metricsListen: HostPort?
    public var durability: Durability
    public var idleTimeoutSeconds: Int64
    public var log: LogSettings
    public var migrateOnly: Bool
    /// TLS on the gateway port (files are read when the server starts).
    public var tls: TLSSettings
    /// Deprecated variables that were read and other doubts, to log once logging is up.
    public var warnings: [String]

    /// `--tls` and its files, checked for consistency but not yet read.
    public struct TLSSettings: Sendable, Equatable {
        public var mode: GatewayTLSMode
        public var certificateFile: String?
        public var keyFile: String?
        public var clientCAFile: String?

        public init(mode: GatewayTLSMode = .off, certificateFile: String? = nil, keyFile: String? = nil, clientCAFile: String? = nil) {
            self.mode = mode
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }

        /// Reads the files; nil for `off`. The error names the file, never the key.
        public func load() throws(IngestTLSError) -> IngestTLS? {
            guard mode != .off, let certificateFile, let keyFile else { return nil }
            return try IngestTLS(mode: mode, certificateFile: certificateFile, keyFile: keyFile, clientCAFile: clientCAFile)
        }
    }

    /// The default gateway address.
    public static let defaultListen = "0.0.0.0:6000"

    /// The server configuration these settings describe.
    public var configuration: IngestConfiguration {
        IngestConfiguration(host: listen.host, port: listen.port, idleTimeout: .seconds(idleTimeoutSeconds))
    }

    /// Reads `options` and `environment`; the error says which value is wrong (exit 64).
    public static func parse(_ options: IngestOptions, environment: [String: String]) throws(ServerFailure) -> IngestInvocation {
        var source = SettingSource(environment: environment)
        let listenText = source.value(flag: options.listen, variable: "TENANT_LISTEN") ?? defaultListen
        let listen = try address(listenText, flag: "--listen")
        if options.healthCheck { return .healthCheck(listen) }
        let metricsListen = try source.value(flag: options.metricsListen, variable: "TENANT_METRICS_LISTEN").map { text throws(ServerFailure) in
            try address(text, flag: "--metrics-listen")
        }
        if options.printMetrics {
            guard let metricsListen else { throw .usage("--print-metrics needs --metrics-listen or TENANT_METRICS_LISTEN") }
            return .printMetrics(metricsListen)
        }
        let log = try LogSettings(level: options.logLevel, format: options.logFormat, source: &source)
        let durabilityText = source.value(flag: options.durability, variable: "TENANT_DURABILITY") ?? "normal"
        guard let durability = Durability(rawValue: durabilityText) else {
            throw .usage("invalid durability '\(durabilityText)': expected normal or full")
        }
        let idleText = source.value(flag: options.idleTimeout, variable: "TENANT_IDLE_TIMEOUT") ?? "300"
        guard let idle = Int64(idleText), idle > 0, idle <= 86_400 * 365 else {
            throw .usage("invalid idle timeout '\(idleText)': expected a positive number of seconds")
        }
        let provider: ProviderID?
        if let text = source.value(flag: options.provider, variable: "TENANT_PROVIDER") {
            do { provider = try ProviderID(text) } catch { throw .usage("\(error)") }
        } else if options.migrateOnly {
            provider = nil
        } else {
            throw .usage("no provider: pass --provider ID or set TENANT_PROVIDER")
        }
        guard let storeText = source.value(flag: options.store, variable: "TENANT_STORE") else {
            throw .usage("no store: pass --store URL or set TENANT_STORE")
        }
        let store: StoreURL
        do { store = try StoreURL(parsing: storeText) } catch { throw .usage("\(error)") }
        if let provider, case .cassandra(_, let keyspace) = store, keyspace != provider.rawValue {
            throw .usage("store keyspace '\(keyspace)' does not belong to provider '\(provider)'")
        }
        if let metricsListen, metricsListen == listen {
            throw .usage("--metrics-listen \(metricsListen) is the gateway address: metrics need a port of their own")
        }
        let tls = try tlsSettings(options, &source)
        var warnings = source.deprecations
        if let provider, case .sqlite(let path) = store, fileStem(path) != provider.rawValue {
            warnings.append("store file \(path) is not named after the provider")
        }
        return .run(
            IngestServerSettings(
                provider: provider, store: store, listen: listen, metricsListen: metricsListen, durability: durability,
                idleTimeoutSeconds: idle, log: log, migrateOnly: options.migrateOnly, tls: tls, warnings: warnings))
    }

    static func tlsSettings(_ options: IngestOptions, _ source: inout SettingSource) throws(ServerFailure) -> TLSSettings {
        let modeText = source.value(flag: options.tls, variable: "TENANT_TLS") ?? "off"
        guard let mode = GatewayTLSMode(rawValue: modeText) else {
            throw .usage("invalid TLS mode '\(modeText)': expected off, optional or required")
        }
        let settings = TLSSettings(
            mode: mode, certificateFile: source.value(flag: options.tlsCertFile, variable: "TENANT_TLS_CERT_FILE"),
            keyFile: source.value(flag: options.tlsKeyFile, variable: "TENANT_TLS_KEY_FILE"),
            clientCAFile: source.value(flag: options.tlsClientCaFile, variable: "TENANT_TLS_CLIENT_CA_FILE"))
        if mode == .off {
            if settings.certificateFile != nil || settings.keyFile != nil || settings.clientCAFile != nil {
                throw .usage("TLS files given but --tls is off: pass --tls optional or --tls required (or TENANT_TLS)")
            }
        } else if settings.certificateFile == nil || settings.keyFile == nil {
            throw .usage("--tls \(mode.rawValue) needs --tls-cert-file and --tls-key-file (or TENANT_TLS_CERT_FILE and TENANT_TLS_KEY_FILE)")
        }
        return settings
    }

    /// The file name without directory and extension.
    static func fileStem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    static func address(_ text: String, flag: String) throws(ServerFailure) -> HostPort {
        do { return try HostPort(parsing: text, defaultPort: nil) } catch { throw .usage("invalid \(flag) '\(text)': \(error)") }
    }
}

extension IngestServerSettings {
    /// `--health-check`: something accepts connections on the gateway address.
    public static func healthCheck(_ address: HostPort) -> ServerExitCode {
        LocalProbe.accepts(address) ? .success : .unhealthy
    }
}
