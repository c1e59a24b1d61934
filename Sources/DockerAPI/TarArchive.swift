/// A minimal POSIX ustar archive of regular files: the body of
/// `PUT /containers/{id}/archive` (which the engine extracts into a path of the container,
/// mounted volumes included) and of `GET /containers/{id}/archive`.
///
/// Only what tenantctl needs: flat file names, explicit mode and owner, no directories, links
/// or long names. Ownership and mode are kept by the engine's extraction, which is how secret
/// files end up `0400` and owned by the image's user without a running container.
public enum TarArchive {
    /// One regular file.
    public struct Entry: Sendable, Hashable {
        /// File name inside the target directory: 1 to 100 bytes, no `/`, not `.` or `..`.
        public var name: String
        /// Content.
        public var content: [UInt8]
        /// Permission bits (`0o400`).
        public var mode: UInt32
        /// Owner uid and gid.
        public var uid: UInt32
        public var gid: UInt32
        /// Modification time, seconds since 1970.
        public var modified: Int64

        /// Creates an entry.
        public init(name: String, content: [UInt8], mode: UInt32 = 0o400, uid: UInt32 = 0, gid: UInt32 = 0, modified: Int64 = 0) {
            self.name = name
            self.content = content
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.modified = modified
        }
    }

    /// Why an archive cannot be written or read.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    static let block = 512

    /// The archive of `entries`, ending with the two zero blocks.
    public static func write(_ entries: [Entry]) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(2 * block) { $0 + block + padded($1.content.count) })
        for entry in entries {
            let name = Array(entry.name.utf8)
            guard !name.isEmpty, name.count <= 100, !name.contains(UInt8(ascii: "/")), !name.contains(0),
                entry.name != ".", entry.name != ".."
            else { throw Failure(description: "tar entry name '\(entry.name)' must be 1 to 100 bytes without '/'") }
            guard entry.mode <= 0o7777, entry.uid <= 0o7777777, entry.gid <= 0o7777777, entry.content.count < 0o77777777777,
                entry.modified >= 0, entry.modified < 0o77777777777
            else { throw Failure(description: "tar entry '\(entry.name)': mode, owner, size or time out of range") }
            let header = header(
                name: name, mode: UInt64(entry.mode), uid: UInt64(entry.uid), gid: UInt64(entry.gid),
                size: UInt64(entry.content.count), modified: UInt64(entry.modified))
            out += header
            out += entry.content
            out += [UInt8](repeating: 0, count: padded(entry.content.count) - entry.content.count)
        }
        out += [UInt8](repeating: 0, count: 2 * block)
        return out
    }

    /// The regular files of `archive` (other entry types are skipped); the checksum of every
    /// header is verified.
    public static func read(_ archive: [UInt8]) throws(Failure) -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        while offset + block <= archive.count {
            let header = Array(archive[offset..<offset + block])
            if header.allSatisfy({ $0 == 0 }) { break }
            var blank = header
            for index in 148..<156 { blank[index] = UInt8(ascii: " ") }
            guard let stored = number(header[148..<156]), stored == blank.reduce(0, { $0 + UInt64($1) }) else {
                throw Failure(description: "tar header at byte \(offset) has a wrong checksum")
            }
            guard let size = number(header[124..<136]), let mode = number(header[100..<108]), let uid = number(header[108..<116]),
                let gid = number(header[116..<124]), let modified = number(header[136..<148])
            else { throw Failure(description: "tar header at byte \(offset) has a malformed number") }
            let start = offset + block
            guard size <= UInt64(archive.count - start) else { throw Failure(description: "tar entry at byte \(offset) runs past the end") }
            let end = start + Int(size)
            let type = header[156]
            if type == UInt8(ascii: "0") || type == 0 {
                var name = text(header[0..<100])
                let prefix = text(header[345..<500])
                if header[257..<262].elementsEqual("ustar".utf8), !prefix.isEmpty { name = prefix + "/" + name }
                entries.append(
                    Entry(
                        name: name, content: Array(archive[start..<end]), mode: UInt32(mode), uid: UInt32(uid), gid: UInt32(gid),
                        modified: Int64(modified)))
            }
            offset = start + padded(Int(size))
        }
        return entries
    }

    /// The ustar header block of one regular file; the caller checks that the fields fit.
    static func header(name: [UInt8], mode: UInt64, uid: UInt64, gid: UInt64, size: UInt64, modified: UInt64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: block)
        put(Array(name.prefix(100)), at: 0, in: &header)
        put(octal(mode, width: 8), at: 100, in: &header)
        put(octal(uid, width: 8), at: 108, in: &header)
        put(octal(gid, width: 8), at: 116, in: &header)
        put(octal(size, width: 12), at: 124, in: &header)
        put(octal(modified, width: 12), at: 136, in: &header)
        header[156] = UInt8(ascii: "0")  // regular file
        put(Array("ustar\u{0}00".utf8), at: 257, in: &header)
        // The checksum is computed with its own field as eight spaces.
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148, in: &header)
        let sum = header.reduce(0) { $0 + UInt64($1) }
        put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148, in: &header)
        return header
    }

    private static func padded(_ count: Int) -> Int { (count + block - 1) / block * block }

    private static func put(_ bytes: [UInt8], at offset: Int, in header: inout [UInt8]) {
        header.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }

    /// `value` as zero-padded octal digits and a NUL, `width` bytes in all.
    private static func octal(_ value: UInt64, width: Int) -> [UInt8] {
        let digits = Array(String(value, radix: 8).utf8)
        return [UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits + [0]
    }

    private static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
        let digits = field.filter { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty else { return 0 }
        return UInt64(String(decoding: digits, as: UTF8.self), radix: 8)
    }

    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
}
