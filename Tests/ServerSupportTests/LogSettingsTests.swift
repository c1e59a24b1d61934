import Logging
import ServerSupport
import Synchronization
import Testing

@Suite struct LogSettingsTests {
    @Test func exitCodesAreTheDocumentedNumbers() {
        #expect(ServerExitCode.success.rawValue == 0)
        #expect(ServerExitCode.unhealthy.rawValue == 1)
        #expect(ServerExitCode.usage.rawValue == 64)
        #expect(ServerExitCode.storeUnavailable.rawValue == 69)
        #expect(ServerExitCode.cannotListen.rawValue == 71)
    }

    @Test func levelAndFormatFromFlagsThenEnvironment() throws {
        var source = SettingSource(environment: ["TENANT_LOG_LEVEL": "debug", "TENANT_LOG_FORMAT": "json"])
        #expect(try LogSettings(level: nil, format: nil, source: &source) == LogSettings(level: .debug, format: .json))
        #expect(try LogSettings(level: "error", format: "text", source: &source) == LogSettings(level: .error, format: .text))
        var empty = SettingSource(environment: ["TENANT_LOG_LEVEL": ""])
        #expect(try LogSettings(level: nil, format: nil, source: &empty) == LogSettings(level: .info, format: .text))
        #expect(empty.deprecations == [])
    }

    @Test func deprecatedLogLevelIsReadAndNoted() throws {
        var source = SettingSource(environment: ["LOG_LEVEL": "trace"])
        #expect(try LogSettings(level: nil, format: nil, source: &source).level == .trace)
        #expect(source.deprecations == ["LOG_LEVEL is deprecated: set TENANT_LOG_LEVEL instead"])
    }

    @Test func badValuesAreUsageErrors() {
        var source = SettingSource(environment: [:])
        #expect(throws: ServerFailure.usage("invalid log level 'verbose': expected trace, debug, info, notice, warning, error or critical")) {
            try LogSettings(level: "verbose", format: nil, source: &source)
        }
        #expect(throws: ServerFailure.usage("invalid log format 'yaml': expected text or json")) {
            try LogSettings(level: nil, format: "yaml", source: &source)
        }
    }
}

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func oneObjectPerLineWithProviderMessageAndMetadata() {
        let lines = Lines()
        var logger = Logger(label: "test") { label in
            JSONLogHandler(label: label, level: .info, now: { 1_764_065_700_123 }, write: lines.append)
        }
        logger[metadataKey: "tenant.id"] = "acme"
        logger.info("stored \"2\" readings\nsecond line", metadata: ["count": .stringConvertible(2), "gateways": ["g1", "g2"], "peer": ["port": "6000"]])
        logger.debug("not at this level")
        #expect(lines.all == [
            #"{"level":"info","time":"2025-11-25T10:15:00.123Z","provider":"acme","message":"stored \"2\" readings\nsecond line","metadata":{"count":"2","gateways":["g1","g2"],"peer":{"port":"6000"}}}"# + "\n"
        ])
    }

    @Test func noProviderIsNullAndControlCharactersAreEscaped() {
        let lines = Lines()
        let logger = Logger(label: "test") { label in
            JSONLogHandler(label: label, level: .trace, now: { 0 }, write: lines.append)
        }
        logger.warning("bell\u{07}tab\t\\")
        #expect(lines.all == [#"{"level":"warning","time":"1970-01-01T00:00:00Z","provider":null,"message":"bell\u0007tab\t\\","metadata":{}}"# + "\n"])
    }
}
