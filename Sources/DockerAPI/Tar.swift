/// The tar archives of `GET`/`PUT /containers/{id}/archive`, for one regular file each way.
public enum Tar {
    static let block = 512

    /// A ustar archive holding one regular file `name` (readable by everyone, so the
    /// container's unprivileged user can read it) with `contents`.
    public static func archive(name: String, contents: [UInt8], mode: Int = 0o644, uid: Int = 0, modified: Int = 0) -> [UInt8] {
        let header = TarArchive.header(
            name: Array(name.utf8), mode: UInt64(mode), uid: UInt64(uid), gid: UInt64(uid), size: UInt64(contents.count),
            modified: UInt64(modified))
        let padding = (block - contents.count % block) % block
        return header + contents + [UInt8](repeating: 0, count: padding + 2 * block)
    }

    /// Why an archive could not be read.
    public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// Reads an archive as it streams in and hands the bytes of its first regular file to
    /// `output`, skipping pax and GNU extension records. Feed every chunk, then call
    /// ``finish()``, which fails unless a whole regular file went through.
    public struct FileExtractor {
        enum State {
            case header
            case skipping(remaining: Int, padding: Int)
            case paxRecords(remaining: Int, padding: Int, collected: [UInt8])
            case file(remaining: Int, padding: Int)
            case done
        }

        private var state = State.header
        private var pending: [UInt8] = []
        private var nextSize: Int?
        private let output: ([UInt8]) throws -> Void
        /// Bytes of the file handed to `output` so far.
        public private(set) var fileBytes = 0
        /// The file's name in the archive, once its header was read.
        public private(set) var fileName: String?

        /// An extractor writing file bytes to `output`.
        public init(output: @escaping ([UInt8]) throws -> Void) { self.output = output }

        /// Consumes the next chunk of the archive.
        public mutating func feed(_ chunk: [UInt8]) throws {
            pending += chunk
            var offset = 0
            defer { pending.removeFirst(offset) }
            while true {
                switch state {
                case .done:
                    offset = pending.count
                    return
                case .header:
                    guard pending.count - offset >= Tar.block else { return }
                    let header = Array(pending[offset..<offset + Tar.block])
                    offset += Tar.block
                    if header.allSatisfy({ $0 == 0 }) { throw ReadError(description: "the archive holds no regular file") }
                    guard let headerSize = Self.number(header[124..<136]) else { throw ReadError(description: "bad size in a tar header") }
                    let size = nextSize ?? headerSize
                    nextSize = nil
                    let padding = (Tar.block - size % Tar.block) % Tar.block
                    switch header[156] {
                    case UInt8(ascii: "0"), 0:
                        fileName = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
                        state = size == 0 ? .done : .file(remaining: size, padding: padding)
                    case UInt8(ascii: "x"):
                        state = .paxRecords(remaining: size, padding: padding, collected: [])
                    default:
                        state = .skipping(remaining: size + padding, padding: 0)
                    }
                case .skipping(let remaining, _):
                    let take = min(remaining, pending.count - offset)
                    offset += take
                    if take < remaining {
                        state = .skipping(remaining: remaining - take, padding: 0)
                        return
                    }
                    state = .header
                case .paxRecords(let remaining, let padding, var collected):
                    let take = min(remaining, pending.count - offset)
                    collected += pending[offset..<offset + take]
                    offset += take
                    if take < remaining {
                        state = .paxRecords(remaining: remaining - take, padding: padding, collected: collected)
                        return
                    }
                    nextSize = Self.paxSize(collected)
                    state = .skipping(remaining: padding, padding: 0)
                case .file(let remaining, let padding):
                    let take = min(remaining, pending.count - offset)
                    if take > 0 { try output(Array(pending[offset..<offset + take])) }
                    fileBytes += take
                    offset += take
                    if take < remaining {
                        state = .file(remaining: remaining - take, padding: padding)
                        return
                    }
                    state = .done
                }
            }
        }

        /// Fails unless a whole regular file was read.
        public func finish() throws {
            guard case .done = state, fileName != nil else { throw ReadError(description: "the archive ended before its file did") }
        }

        /// An octal field, or GNU base-256 for sizes past 8 GiB.
        static func number(_ field: ArraySlice<UInt8>) -> Int? {
            if let first = field.first, first & 0x80 != 0 {
                var value = Int(first & 0x7f)
                for byte in field.dropFirst() {
                    guard value < Int.max >> 8 else { return nil }
                    value = value << 8 | Int(byte)
                }
                return value
            }
            let text = String(decoding: field.drop { $0 == UInt8(ascii: " ") }.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }, as: UTF8.self)
            return text.isEmpty ? 0 : Int(text, radix: 8)
        }

        /// The `size` record of a pax extended header ("LEN size=N\n"), if any.
        static func paxSize(_ records: [UInt8]) -> Int? {
            for line in records.split(separator: UInt8(ascii: "\n")) {
                let text = String(decoding: line, as: UTF8.self)
                guard let space = text.firstIndex(of: " ") else { continue }
                let record = text[text.index(after: space)...]
                if record.hasPrefix("size=") { return Int(record.dropFirst("size=".count)) }
            }
            return nil
        }
    }
}
