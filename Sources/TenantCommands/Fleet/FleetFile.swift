import ArgumentParser
import Foundation
import TenantModel
import TenantPlan
import Yams

/// A fleet file (`tenantctl apply -f`, docs/operations.md "Fleets"): the providers of one
/// host under one name, as YAML. Parsing is pure (no engine, no environment) and validates
/// the whole file: every problem is collected with its line, so nothing changes until the
/// file is right.
public struct FleetFile: Sendable, Hashable {
    /// The fleet's name, stamped on everything `apply` creates (label ``Labels/fleet``).
    public var name: String
    /// The listed providers in file order, `defaults:` merged in.
    public var providers: [FleetProvider]

    /// Files larger than this are refused before parsing (1 MiB holds thousands of providers).
    public static let maxBytes = 1 << 20
}

/// One provider of a fleet: the `start-provider` settings it asks for.
public struct FleetProvider: Sendable, Hashable {
    /// The provider id.
    public var id: ProviderID
    /// The line of its entry, for messages.
    public var line: Int
    /// Its settings, as `start-provider ID --KEY VALUE ...` would take them (validated).
    public var options: ProviderOptions
    /// Replication of a new Cassandra keyspace (`create-keyspace --replication`), if given.
    public var replication: String?

    /// The provisioning request, stamped with `fleet`. `TENANTCTL_IMAGE` applies when the
    /// file names no image, as for `start-provider`.
    public func request(fleet: String) throws -> ProvisionRequest {
        var request = try options.request()
        request.fleet = fleet
        return request
    }

    public static func == (lhs: FleetProvider, rhs: FleetProvider) -> Bool {
        lhs.id == rhs.id && lhs.line == rhs.line && lhs.replication == rhs.replication && lhs.options.arguments == rhs.options.arguments
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(options.arguments)
    }
}

/// Every problem of a fleet file, one `FILE:LINE: message` line each (exit 64).
public struct FleetFileError: Error, Sendable, CustomStringConvertible, Equatable {
    /// One problem.
    public struct Problem: Sendable, Hashable {
        /// 1-based line.
        public var line: Int
        /// What is wrong, naming the key.
        public var message: String
    }

    /// The file name as given on the command line.
    public var file: String
    /// The problems, by line.
    public var problems: [Problem]

    /// One line per problem.
    public var lines: [String] { problems.map { "\(file):\($0.line): \($0.message)" } }
    public var description: String { lines.joined(separator: "\n") }
}

extension FleetFile {
    /// The settings a provider (or `defaults:`) may give: `start-provider`'s options with
    /// underscores, plus `create-keyspace`'s `replication`.
    public enum Key: String, Sendable, CaseIterable {
        case gatewayPort = "gateway_port"
        case adminPort = "admin_port"
        case image
        case store
        case cassandra
        case replication
        case memory
        case cpus
        case subnetPool = "subnet_pool"
        case cassandraPasswordFile = "cassandra_password_file"
        case smtpURL = "smtp_url"
        case smtpUser = "smtp_user"
        case smtpPasswordFile = "smtp_password_file"
        case mailFrom = "mail_from"
        case smtpRequireTLS = "smtp_require_tls"
        case gatewayTLS = "gateway_tls"
        case gatewayTLSCertFile = "gateway_tls_cert_file"
        case gatewayTLSKeyFile = "gateway_tls_key_file"
        case gatewayTLSHost = "gateway_tls_host"
    }

    /// The top-level keys.
    static let topKeys = ["fleet", "defaults", "providers"]

    /// Fleet names: label-safe, so they can be matched exactly by label filters.
    static let nameRule = "[a-z0-9][a-z0-9_.-]{0,62}"

    /// Parses and validates `text` read from `file` (the name used in messages).
    public static func parse(_ text: String, file: String) throws(FleetFileError) -> FleetFile {
        var parser = FleetFileParser(file: file)
        return try parser.parse(text)
    }

    /// Reads and parses the file at `path`; unreadable files are one problem at line 1.
    public static func load(path: String) throws(FleetFileError) -> FleetFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FleetFileError(file: path, problems: [.init(line: 1, message: "cannot read the file")])
        }
        guard data.count <= maxBytes else {
            throw FleetFileError(file: path, problems: [.init(line: 1, message: "the file is larger than \(maxBytes) bytes")])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw FleetFileError(file: path, problems: [.init(line: 1, message: "the file is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }
}

/// The walk over the YAML tree, collecting problems.
private struct FleetFileParser {
    let file: String
    var problems: [FleetFileError.Problem] = []
    /// `start-provider`'s defaults for every option, parsed once (parsing builds the whole
    /// argument tree: per provider it was most of the time a 100-provider file took).
    let defaultOptions = try? ProviderOptions.parse(["placeholder"])

    /// The folder relative file settings are read from: the fleet file's.
    let folder: URL

    init(file: String) {
        self.file = file
        folder = URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    /// `path` as given if absolute, else relative to the fleet file's folder.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
    }

    mutating func problem(_ line: Int, _ message: String) { problems.append(.init(line: line, message: message)) }

    mutating func parse(_ text: String) throws(FleetFileError) -> FleetFile {
        if text.utf8.count > FleetFile.maxBytes { problem(1, "the file is larger than \(FleetFile.maxBytes) bytes") }
        refuseAliases(text)
        guard problems.isEmpty else { throw FleetFileError(file: file, problems: problems) }
        let root: Node?
        do {
            root = try compose(yaml: text)
        } catch {
            problem(Self.line(of: error), Self.message(of: error))
            throw FleetFileError(file: file, problems: problems)
        }
        guard let root, case .mapping(let top) = root else {
            problem(root?.mark?.line ?? 1, "expected a mapping with `fleet:` and `providers:`")
            throw FleetFileError(file: file, problems: problems)
        }
        var name: String?
        var defaults: [FleetFile.Key: (node: Node, line: Int)] = [:]
        var providerEntries: [(key: Node, value: Node)]?
        for (key, value) in top {
            let line = key.mark?.line ?? 1
            guard let keyName = plainKey(key) else { continue }
            switch keyName {
            case "fleet":
                guard let text = scalarString(value), !text.isEmpty else {
                    problem(value.mark?.line ?? line, "fleet: expected a name matching \(FleetFile.nameRule)")
                    continue
                }
                if text.wholeMatch(of: /[a-z0-9][a-z0-9_.-]{0,62}/) == nil {
                    problem(value.mark?.line ?? line, "fleet: '\(text)' does not match \(FleetFile.nameRule)")
                } else {
                    name = text
                }
            case "defaults":
                if isNull(value) { continue }
                defaults = settings(value, path: "defaults", line: line)
                for key in [FleetFile.Key.gatewayPort, .adminPort] {
                    if let given = defaults.removeValue(forKey: key) {
                        problem(given.line, "defaults.\(key.rawValue): a port cannot be a default (every provider would publish the same one)")
                    }
                }
            case "providers":
                if isNull(value) {
                    providerEntries = []
                } else if case .mapping(let mapping) = value {
                    providerEntries = mapping.map { ($0.key, $0.value) }
                } else {
                    problem(value.mark?.line ?? line, "providers: expected a mapping of provider id to settings")
                    providerEntries = []
                }
            default:
                problem(line, "unknown key '\(keyName)' (expected \(FleetFile.topKeys.joined(separator: ", ")))")
            }
        }
        if name == nil, !problems.contains(where: { $0.message.hasPrefix("fleet:") }) {
            problem(root.mark?.line ?? 1, "missing `fleet: NAME` (names the fleet; required)")
        }
        if providerEntries == nil { problem(root.mark?.line ?? 1, "missing `providers:` (a mapping of provider id to settings; `providers: {}` for none)") }

        var providers: [FleetProvider] = []
        var ports: [Int: (line: Int, owner: String)] = [:]
        for (key, value) in providerEntries ?? [] {
            let line = key.mark?.line ?? 1
            // Any scalar: `123:` is a provider id that breaks the rule, not a wrong type.
            guard let idText = plainKey(key, what: "provider id", anyScalar: true) else { continue }
            let id: ProviderID
            do { id = try ProviderID(idText) } catch {
                problem(line, "providers.\(idText): \(error)")
                continue
            }
            let before = problems.count
            var given = isNull(value) ? [:] : settings(value, path: "providers.\(id)", line: line)
            for (key, entry) in defaults where given[key] == nil { given[key] = entry }
            for key in [FleetFile.Key.gatewayPort, .adminPort] {
                guard let entry = given[key], let port = entry.node.int else { continue }
                if let first = ports[port] {
                    problem(entry.line, "providers.\(id).\(key.rawValue): port \(port) is already used by \(first.owner) (line \(first.line))")
                } else {
                    ports[port] = (entry.line, "\(id).\(key.rawValue)")
                }
            }
            if let provider = provider(id, line: line, given, problemsBefore: before) { providers.append(provider) }
        }
        guard problems.isEmpty, let name else {
            problems.sort { $0.line < $1.line }
            throw FleetFileError(file: file, problems: problems)
        }
        return FleetFile(name: name, providers: providers)
    }

    /// Settings of a provider or of `defaults:`: known keys with values of the right type.
    mutating func settings(_ node: Node, path: String, line: Int) -> [FleetFile.Key: (node: Node, line: Int)] {
        guard case .mapping(let mapping) = node else {
            problem(node.mark?.line ?? line, "\(path): expected a mapping of settings (or {})")
            return [:]
        }
        var result: [FleetFile.Key: (node: Node, line: Int)] = [:]
        for (key, value) in mapping {
            let line = key.mark?.line ?? line
            guard let name = plainKey(key) else { continue }
            guard let known = FleetFile.Key(rawValue: name) else {
                let hint = FleetFile.Key(rawValue: name.replacingOccurrences(of: "-", with: "_")).map { " (did you mean \($0.rawValue)?)" } ?? ""
                problem(line, "\(path): unknown key '\(name)'\(hint); expected one of \(FleetFile.Key.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if let wrong = typeProblem(known, value) {
                problem(value.mark?.line ?? line, "\(path).\(name): \(wrong)")
                continue
            }
            result[known] = (value, value.mark?.line ?? line)
        }
        return result
    }

    /// Why `value` has the wrong YAML type for `key`, or nil.
    func typeProblem(_ key: FleetFile.Key, _ value: Node) -> String? {
        switch key {
        case .gatewayPort, .adminPort:
            return value.tagName == .int && value.int != nil ? nil : "expected an integer port (1 to 65535), got \(describe(value))"
        case .image, .store, .replication, .subnetPool, .cassandraPasswordFile, .smtpURL, .smtpUser, .smtpPasswordFile, .mailFrom,
            .gatewayTLSCertFile, .gatewayTLSKeyFile:
            return value.tagName == .str && value.scalar != nil ? nil : "expected a string, got \(describe(value))"
        case .smtpRequireTLS:
            return value.tagName == .bool && value.bool != nil ? nil : "expected true or false, got \(describe(value))"
        case .gatewayTLS:
            // YAML 1.1 reads a bare `off` as the boolean false: take it as meant.
            if value.tagName == .bool, value.bool == false { return nil }
            return value.tagName == .str && value.scalar != nil ? nil : "expected off, optional or required, got \(describe(value))"
        case .gatewayTLSHost:
            if value.tagName == .str, value.scalar != nil { return nil }
            if case .sequence(let items) = value, !items.isEmpty, items.allSatisfy({ $0.scalar != nil && $0.tagName == .str }) { return nil }
            return "expected a host name or address, or a list of them, got \(describe(value))"
        case .memory, .cpus:
            return [.str, .int, .float].contains(value.tagName) && value.scalar != nil ? nil : "expected a number or a string, got \(describe(value))"
        case .cassandra:
            if value.tagName == .str, value.scalar != nil { return nil }
            if case .sequence(let items) = value, !items.isEmpty, items.allSatisfy({ $0.tagName == .str && $0.scalar != nil }) { return nil }
            return "expected HOST:PORT, a comma-separated string or a list of them, got \(describe(value))"
        }
    }

    /// The provider's options, checked by the same rules as `start-provider` (and
    /// `create-keyspace --replication`); problems at the line of the setting they concern.
    /// Nil when it has a problem (any since `problemsBefore`: the cross-setting rules are
    /// checked only on settings that are right one by one).
    mutating func provider(_ id: ProviderID, line: Int, _ given: [FleetFile.Key: (node: Node, line: Int)], problemsBefore: Int) -> FleetProvider? {
        guard var options = defaultOptions else { return nil }
        options.id = id.rawValue
        let base = options
        for key in FleetFile.Key.allCases {
            guard let entry = given[key] else { continue }
            let text = entry.node.scalar?.string ?? ""
            // Each value alone first, so a bad one is reported at its own line.
            var single = base
            switch key {
            case .gatewayPort: single.gatewayPort = entry.node.int; options.gatewayPort = single.gatewayPort
            case .adminPort: single.adminPort = entry.node.int; options.adminPort = single.adminPort
            case .image:
                if text.isEmpty || text.contains(where: \.isWhitespace) { problem(entry.line, "providers.\(id).image: '\(text)' is not an image reference") }
                options.image = text
                continue
            case .store:
                guard let store = StoreKind(rawValue: text) else {
                    problem(entry.line, "providers.\(id).store: '\(text)' is not one of \(StoreKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                options.store = store
                continue
            case .cassandra:
                let points = entry.node.sequence.map { $0.compactMap(\.scalar?.string) } ?? [text]
                single.store = .cassandra
                single.cassandra = points
                options.cassandra = points
            case .replication: continue  // checked below, with the store
            case .memory: single.memory = text; options.memory = text
            case .cpus: single.cpus = text; options.cpus = text
            case .subnetPool:
                options.subnets.subnetPool = text
                single.subnets.subnetPool = text
                do { try single.subnets.validate() } catch { problem(entry.line, "providers.\(id).subnet_pool: \(Self.text(of: error))") }
                continue
            case .cassandraPasswordFile, .smtpPasswordFile, .gatewayTLSCertFile, .gatewayTLSKeyFile:
                // Secrets come from files, never from the fleet file itself (fleet.md); a
                // relative path is the fleet file's neighbour (as in Compose), so cron can
                // run `apply` from any folder.
                let path = resolve(text)
                if !FileManager.default.isReadableFile(atPath: path) { problem(entry.line, "providers.\(id).\(key.rawValue): cannot read \(path)") }
                switch key {
                case .cassandraPasswordFile: options.cassandraPasswordFile = path
                case .smtpPasswordFile: options.smtpPasswordFile = path
                case .gatewayTLSCertFile: options.gatewayTlsCertFile = path
                default: options.gatewayTlsKeyFile = path
                }
                continue  // how they combine is checked below, with the other settings
            case .smtpURL: options.smtpURL = text; continue
            case .smtpUser: options.smtpUser = text; continue
            case .mailFrom: options.mailFrom = text; continue
            case .smtpRequireTLS: options.smtpRequireTLS = entry.node.bool ?? false; continue
            case .gatewayTLS:
                // The modes are start-provider's rule, checked by `validate()` below.
                single.gatewayTls = entry.node.tagName == .bool ? "off" : text
                options.gatewayTls = single.gatewayTls
            case .gatewayTLSHost:
                options.gatewayTlsHost = entry.node.sequence.map { $0.compactMap(\.scalar?.string) } ?? [text]
                continue
            }
            do { try single.validate() } catch { problem(entry.line, "providers.\(id).\(key.rawValue): \(Self.text(of: error))") }
        }
        var replication: String?
        if let entry = given[.replication], let text = entry.node.scalar?.string {
            if options.store != .cassandra {
                problem(entry.line, "providers.\(id).replication: needs store: cassandra")
            } else {
                do { _ = try TenantCtl.KeyspaceCreate.cassandraProvisioner(replication: text) } catch {
                    problem(entry.line, "providers.\(id).replication: \(Self.text(of: error))")
                }
            }
            replication = text
        }
        guard problems.count == problemsBefore else { return nil }
        // Rules between settings (cassandra needs store: cassandra, ports differ).
        do { try options.validate() } catch {
            problem(line, "providers.\(id): \(Self.text(of: error))")
            return nil
        }
        return FleetProvider(id: id, line: line, options: options, replication: replication)
    }

    /// A mapping key as text; anything but a plain string key is a problem.
    mutating func plainKey(_ key: Node, what: String = "key", anyScalar: Bool = false) -> String? {
        guard let scalar = key.scalar, key.tagName == .str || anyScalar else {
            problem(key.mark?.line ?? 1, "expected a \(what) (a string), got \(describe(key))")
            return nil
        }
        return scalar.string
    }

    func scalarString(_ node: Node) -> String? {
        guard node.tagName == .str else { return nil }
        return node.scalar?.string
    }

    func isNull(_ node: Node) -> Bool { node.tagName == .null }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return "nothing"
            case .int: return "the integer \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            default: return "the string '\(scalar.string)'"
            }
        }
    }

    /// YAML aliases (`*name`) are refused before Yams composes the file: it hashes mapping
    /// keys deeply to find duplicates, so an alias used as a key could make a few hundred
    /// bytes cost exponential time (the YAML "billion laughs"). A fleet file has no use for
    /// them (`defaults:` shares settings). `*` is allowed only in comment lines without
    /// quotes: such a line cannot hold an alias token whatever scalar it may be part of.
    mutating func refuseAliases(_ text: String) {
        // Every Unicode line break, a superset of YAML's, so no alias hides behind one.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() where line.contains("*") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.first == "#", !line.contains("\""), !line.contains("'") { continue }
            problem(index + 1, "'*' is not allowed here: YAML aliases are not supported in a fleet file (use defaults:)")
        }
    }

    /// ArgumentParser's `ValidationError` text, or the error's description.
    static func text(of error: any Error) -> String {
        if let error = error as? ValidationError { return error.message }
        return "\(error)"
    }

    static func line(of error: any Error) -> Int {
        guard let error = error as? YamlError else { return 1 }
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return 1
        }
    }

    static func message(of error: any Error) -> String {
        guard let error = error as? YamlError else { return "not YAML: \(error)" }
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            let while_ = context.map { " (\($0.text))" } ?? ""
            return "not valid YAML: \(problem)\(while_)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", "))"
        case .reader(let problem, _, _, _): return "cannot read the text: \(problem)"
        default: return "not valid YAML"
        }
    }
}

extension ProviderOptions {
    /// The options as `start-provider` arguments (for comparisons and messages).
    var arguments: [String] {
        var arguments = [id]
        if let gatewayPort { arguments += ["--gateway-port", String(gatewayPort)] }
        if let adminPort { arguments += ["--admin-port", String(adminPort)] }
        if let image { arguments += ["--image", image] }
        arguments += ["--store", store.rawValue]
        for point in cassandra { arguments += ["--cassandra", point] }
        arguments += ["--memory", memory, "--cpus", cpus]
        if let pool = subnets.subnetPool { arguments += ["--subnet-pool", pool] }
        if let cassandraPasswordFile { arguments += ["--cassandra-password-file", cassandraPasswordFile] }
        if let smtpURL { arguments += ["--smtp-url", smtpURL] }
        if let smtpUser { arguments += ["--smtp-user", smtpUser] }
        if let smtpPasswordFile { arguments += ["--smtp-password-file", smtpPasswordFile] }
        if let mailFrom { arguments += ["--mail-from", mailFrom] }
        if smtpRequireTLS { arguments.append("--smtp-require-tls") }
        if gatewayTls != "off" { arguments += ["--gateway-tls", gatewayTls] }
        if let gatewayTlsCertFile { arguments += ["--gateway-tls-cert-file", gatewayTlsCertFile] }
        if let gatewayTlsKeyFile { arguments += ["--gateway-tls-key-file", gatewayTlsKeyFile] }
        for host in gatewayTlsHost { arguments += ["--gateway-tls-host", host] }
        return arguments
    }
}

extension Node {
    /// The resolved tag's name (`!!int`, `!!str`...): a plain `6001` is an int, `"6001"` a string.
    fileprivate var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
