import DockerAPI
import Foundation

/// One line of a server's log, as the engine gives it with `timestamps=1`.
struct LogLine: Sendable, Hashable {
    /// `ingest` or `admin`.
    var role: String
    /// stdout or stderr.
    var stream: LogStream
    /// The engine's RFC 3339 time of the line, as sent; nil when it had none.
    var timestamp: String?
    /// The line without its newline.
    var text: String

    /// The time with the fraction padded to nanoseconds, so that string order is time
    /// order (the engine trims trailing zeros: `.5Z` must sort after `.25Z`).
    var sortKey: String { timestamp.map(Self.sortKey) ?? "" }

    static func sortKey(_ timestamp: String) -> String {
        guard let dot = timestamp.firstIndex(of: "."), let end = timestamp[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) else {
            return timestamp.replacingOccurrences(of: "Z", with: ".000000000Z")
        }
        let digits = timestamp[timestamp.index(after: dot)..<end]
        return String(timestamp[..<dot]) + "." + digits.padding(toLength: 9, withPad: "0", startingAt: 0) + String(timestamp[end...])
    }
}

/// Cuts a server's log stream into ``LogLine``s, across chunk boundaries.
struct LogLineSplitter: Sendable {
    private var demuxer = LogDemuxer()
    private var partial: [LogStream: [UInt8]] = [:]
    let role: String
    /// A container with a TTY sends plain bytes instead of frames.
    let tty: Bool

    init(role: String, tty: Bool) {
        self.role = role
        self.tty = tty
    }

    /// The lines completed by `bytes`.
    mutating func feed(_ bytes: [UInt8]) -> [LogLine] {
        let frames = tty ? [LogFrame(stream: .stdout, payload: bytes)] : demuxer.feed(bytes)
        var lines: [LogLine] = []
        for frame in frames {
            var buffer = partial[frame.stream, default: []] + frame.payload
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(Self.line(role: role, stream: frame.stream, bytes: buffer[..<newline]))
                buffer.removeSubrange(...newline)
            }
            partial[frame.stream] = buffer
        }
        return lines
    }

    /// Whatever is left without a final newline.
    mutating func flush() -> [LogLine] {
        defer { partial = [:] }
        return partial.sorted { $0.key.rawValue < $1.key.rawValue }.filter { !$0.value.isEmpty }
            .map { Self.line(role: role, stream: $0.key, bytes: $0.value[...]) }
    }

    static func line(role: String, stream: LogStream, bytes: ArraySlice<UInt8>) -> LogLine {
        let text = String(decoding: bytes, as: UTF8.self)
        // `2026-12-02T07:17:39.123456789Z text`: the engine's prefix with timestamps=1.
        if let space = text.firstIndex(of: " "), text[..<space].count >= 20, text[..<space].contains("T"), text.first?.isNumber == true {
            return LogLine(role: role, stream: stream, timestamp: String(text[..<space]), text: String(text[text.index(after: space)...]))
        }
        return LogLine(role: role, stream: stream, timestamp: nil, text: text)
    }

    /// The lines of several servers in time order; equal times keep their server's order.
    static func merge(_ lists: [[LogLine]]) -> [LogLine] {
        lists.enumerated().flatMap { server, lines in lines.enumerated().map { (key: $1.sortKey, server: server, index: $0, line: $1) } }
            .sorted { ($0.key, $0.server, $0.index) < ($1.key, $1.server, $1.index) }
            .map(\.line)
    }
}

/// How `logs` prints a line: the role prefix when several servers share the output,
/// the engine's time when asked for.
struct LogLineFormat: Sendable {
    var prefixed: Bool
    var timestamps: Bool

    func render(_ line: LogLine) -> String {
        var text = ""
        if prefixed { text += line.role.padding(toLength: 6, withPad: " ", startingAt: 0) + " | " }
        if timestamps, let timestamp = line.timestamp { text += timestamp + " " }
        return text + line.text + "\n"
    }
}

/// `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`), an RFC 3339 time, or Unix seconds.
enum LogSince {
    /// Unix seconds, or nil when `text` is none of the accepted forms.
    static func parse(_ text: String, now: Date = Date()) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0, amount <= 36_500 * 86400 / unit {
            return now.timeIntervalSince1970 - amount * unit
        }
        if let seconds = Double(text), seconds >= 0, seconds < 1e11 { return seconds }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let seconds = formatter.date(from: text)?.timeIntervalSince1970 { return seconds >= 0 && seconds < 1e11 ? seconds : nil }
        formatter.formatOptions = [.withInternetDateTime]
        guard let seconds = formatter.date(from: text)?.timeIntervalSince1970, seconds >= 0, seconds < 1e11 else { return nil }
        return seconds
    }
}
