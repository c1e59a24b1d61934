import Logging

/// How a server writes its log lines to stderr.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's stream format, for people.
    case text
    /// One JSON object per line (``JSONLogHandler``), for collectors.
    case json
}

/// Log level and format, the same flags and variables in both servers:
/// `--log-level` / `TENANT_LOG_LEVEL` (the old `LOG_LEVEL` still works, with a warning)
/// and `--log-format` / `TENANT_LOG_FORMAT`.
public struct LogSettings: Sendable, Equatable {
    public var level: Logger.Level
    public var format: LogFormat

    public init(level: Logger.Level = .info, format: LogFormat = .text) {
        self.level = level
        self.format = format
    }

    /// Reads and checks the flags, falling back to the environment, then to info/text.
    public init(level levelFlag: String?, format formatFlag: String?, source: inout SettingSource) throws(ServerFailure) {
        let levelText = source.value(flag: levelFlag, variable: "TENANT_LOG_LEVEL", deprecated: "LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw .usage("invalid log level '\(levelText)': expected trace, debug, info, notice, warning, error or critical")
        }
        let formatText = source.value(flag: formatFlag, variable: "TENANT_LOG_FORMAT") ?? "text"
        guard let format = LogFormat(rawValue: formatText) else {
            throw .usage("invalid log format '\(formatText)': expected text or json")
        }
        self.init(level: level, format: format)
    }

    /// A handler writing to stderr in this format at this level.
    public func makeHandler(label: String) -> any LogHandler {
        switch format {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            return JSONLogHandler(label: label, level: level)
        }
    }

    /// Makes this the process's logging backend (once, in the executable).
    public func bootstrap() {
        let settings = self
        LoggingSystem.bootstrap { label in settings.makeHandler(label: label) }
    }
}
