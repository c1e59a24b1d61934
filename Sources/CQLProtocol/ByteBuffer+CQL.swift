import NIOCore

// The notations of section 3 of the v4 spec ([short], [string], [bytes], ...).
// Reads throw instead of trapping: a peer's bytes are never trusted.
extension ByteBuffer {
    mutating func readCQLByte(_ what: String) throws(CQLProtocolError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLShort(_ what: String) throws(CQLProtocolError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLInt(_ what: String) throws(CQLProtocolError) -> Int32 {
        guard let value = readInteger(as: Int32.self) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLLong(_ what: String) throws(CQLProtocolError) -> Int64 {
        guard let value = readInteger(as: Int64.self) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLString(_ what: String) throws(CQLProtocolError) -> String {
        let length = Int(try readCQLShort(what))
        guard let value = readString(length: length) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLLongString(_ what: String) throws(CQLProtocolError) -> String {
        let length = try readCQLInt(what)
        guard length >= 0 else { throw CQLProtocolError("negative length \(length) for \(what)") }
        guard let value = readString(length: Int(length)) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLStringList(_ what: String) throws(CQLProtocolError) -> [String] {
        let count = Int(try readCQLShort(what))
        var list: [String] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try readCQLString(what)) }
        return list
    }

    mutating func readCQLStringMap(_ what: String) throws(CQLProtocolError) -> [String: String] {
        let count = Int(try readCQLShort(what))
        var map: [String: String] = [:]
        for _ in 0..<count {
            let key = try readCQLString(what)
            map[key] = try readCQLString(what)
        }
        return map
    }

    mutating func readCQLStringMultimap(_ what: String) throws(CQLProtocolError) -> [String: [String]] {
        let count = Int(try readCQLShort(what))
        var map: [String: [String]] = [:]
        for _ in 0..<count {
            let key = try readCQLString(what)
            map[key] = try readCQLStringList(what)
        }
        return map
    }

    /// `[bytes]`: nil for a negative length.
    mutating func readCQLBytes(_ what: String) throws(CQLProtocolError) -> [UInt8]? {
        let length = try readCQLInt(what)
        if length < 0 { return nil }
        guard let value = readBytes(length: Int(length)) else { throw .truncated(what) }
        return value
    }

    /// `[bytes]` as a slice of this buffer (no copy): nil for a negative length.
    mutating func readCQLBytesSlice(_ what: String) throws(CQLProtocolError) -> ByteBuffer? {
        let length = try readCQLInt(what)
        if length < 0 { return nil }
        guard let value = readSlice(length: Int(length)) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLShortBytes(_ what: String) throws(CQLProtocolError) -> [UInt8] {
        let length = Int(try readCQLShort(what))
        guard let value = readBytes(length: length) else { throw .truncated(what) }
        return value
    }

    mutating func readCQLBytesMap(_ what: String) throws(CQLProtocolError) -> [String: [UInt8]?] {
        let count = Int(try readCQLShort(what))
        var map: [String: [UInt8]?] = [:]
        for _ in 0..<count {
            let key = try readCQLString(what)
            map[key] = .some(try readCQLBytes(what))
        }
        return map
    }

    mutating func readCQLConsistency(_ what: String) throws(CQLProtocolError) -> CQLConsistency {
        let raw = try readCQLShort(what)
        guard let level = CQLConsistency(rawValue: raw) else {
            throw CQLProtocolError("unknown consistency level 0x\(String(raw, radix: 16)) in \(what)")
        }
        return level
    }

    // MARK: writing

    /// Writes a `[string]`; strings longer than 65535 UTF-8 bytes are a caller error.
    mutating func writeCQLString(_ value: String) throws(CQLProtocolError) {
        let count = value.utf8.count
        guard count <= Int(UInt16.max) else { throw CQLProtocolError("string of \(count) bytes exceeds a [string]'s 65535") }
        writeInteger(UInt16(count))
        writeString(value)
    }

    mutating func writeCQLLongString(_ value: String) {
        writeInteger(Int32(value.utf8.count))
        writeString(value)
    }

    mutating func writeCQLStringList(_ list: [String]) throws(CQLProtocolError) {
        writeInteger(UInt16(list.count))
        for item in list { try writeCQLString(item) }
    }

    /// Writes a `[string map]` with keys sorted, so that encodings are deterministic.
    mutating func writeCQLStringMap(_ map: [String: String]) throws(CQLProtocolError) {
        writeInteger(UInt16(map.count))
        for key in map.keys.sorted() {
            try writeCQLString(key)
            try writeCQLString(map[key]!)
        }
    }

    mutating func writeCQLStringMultimap(_ map: [String: [String]]) throws(CQLProtocolError) {
        writeInteger(UInt16(map.count))
        for key in map.keys.sorted() {
            try writeCQLString(key)
            try writeCQLStringList(map[key]!)
        }
    }

    mutating func writeCQLBytes(_ bytes: [UInt8]?) {
        guard let bytes else {
            writeInteger(Int32(-1))
            return
        }
        writeInteger(Int32(bytes.count))
        writeBytes(bytes)
    }

    mutating func writeCQLShortBytes(_ bytes: [UInt8]) throws(CQLProtocolError) {
        guard bytes.count <= Int(UInt16.max) else { throw CQLProtocolError("[short bytes] of \(bytes.count) bytes") }
        writeInteger(UInt16(bytes.count))
        writeBytes(bytes)
    }
}
