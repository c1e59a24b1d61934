/// Which stream a log frame came from.
public enum LogStream: UInt8, Sendable, Hashable {
    /// Standard input (written by `attach`, rare in logs).
    case stdin = 0
    /// Standard output.
    case stdout = 1
    /// Standard error.
    case stderr = 2
}

/// One frame of a multiplexed log stream.
public struct LogFrame: Sendable, Hashable {
    /// Source stream.
    public var stream: LogStream
    /// Payload bytes.
    public var payload: [UInt8]

    /// Creates a frame.
    public init(stream: LogStream, payload: [UInt8]) {
        self.stream = stream
        self.payload = payload
    }
}

/// Splits the Engine API's multiplexed stdout/stderr stream (containers without a TTY)
/// into frames. Each frame is an 8-byte header — stream type, three zero bytes, a
/// big-endian 32-bit payload length — then the payload. Bytes may arrive in any
/// chunking; partial frames wait for more input.
public struct LogDemuxer: Sendable {
    private var buffer: [UInt8] = []

    /// Creates an empty demuxer.
    public init() {}

    /// Appends `bytes` and returns every frame now complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [LogFrame] {
        buffer.append(contentsOf: bytes)
        var frames: [LogFrame] = []
        var offset = 0
        while buffer.count - offset >= 8 {
            let length = Int(buffer[offset + 4]) << 24 | Int(buffer[offset + 5]) << 16
                | Int(buffer[offset + 6]) << 8 | Int(buffer[offset + 7])
            guard buffer.count - offset - 8 >= length else { break }
            // Unknown stream types are reported as stdout rather than dropped.
            let stream = LogStream(rawValue: buffer[offset]) ?? .stdout
            frames.append(LogFrame(stream: stream, payload: Array(buffer[(offset + 8)..<(offset + 8 + length)])))
            offset += 8 + length
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return frames
    }

    /// Bytes of an incomplete trailing frame.
    public var pendingByteCount: Int { buffer.count }
}
