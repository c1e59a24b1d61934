import NIOCore

/// A bound or returned CQL value, in the serialization formats of section 6 of the v4 spec.
///
/// Types this project does not model (decimal, varint, inet, UDTs, tuples, custom) decode
/// to ``raw(_:)`` with their serialized bytes, which can also be bound as they are.
public enum CQLValue: Sendable, Hashable {
    /// `null` (length -1).
    case null
    /// "not set" in a bound value (length -2): leaves the column unchanged.
    case unset
    /// `text`/`varchar`/`ascii`.
    case text(String)
    /// `bigint` or `counter`.
    case bigint(Int64)
    case int(Int32)
    case smallint(Int16)
    case tinyint(Int8)
    case double(Double)
    case float(Float)
    case boolean(Bool)
    case blob([UInt8])
    /// `timestamp`: milliseconds since the Unix epoch.
    case timestamp(Int64)
    /// `date`: days since the Unix epoch (negative before 1970).
    case date(Int32)
    /// `time`: nanoseconds since midnight.
    case time(Int64)
    /// `uuid` or `timeuuid`: 16 bytes.
    case uuid([UInt8])
    case list([CQLValue])
    case set([CQLValue])
    case map([MapEntry])
    /// Serialized bytes of a type without its own case.
    case raw([UInt8])

    /// One key/value pair of a map, in wire order.
    public struct MapEntry: Sendable, Hashable {
        public var key: CQLValue
        public var value: CQLValue
        public init(key: CQLValue, value: CQLValue) {
            self.key = key
            self.value = value
        }
    }

    /// Writes this value as a `[value]` (length-prefixed; -1 null, -2 not set).
    public func write(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        switch self {
        case .null: buffer.writeInteger(Int32(-1))
        case .unset: buffer.writeInteger(Int32(-2))
        case .text(let string):
            buffer.writeInteger(Int32(string.utf8.count))
            buffer.writeString(string)
        case .bigint(let value), .timestamp(let value), .time(let value):
            buffer.writeInteger(Int32(8))
            buffer.writeInteger(value)
        case .int(let value):
            buffer.writeInteger(Int32(4))
            buffer.writeInteger(value)
        case .smallint(let value):
            buffer.writeInteger(Int32(2))
            buffer.writeInteger(value)
        case .tinyint(let value):
            buffer.writeInteger(Int32(1))
            buffer.writeInteger(value)
        case .double(let value):
            buffer.writeInteger(Int32(8))
            buffer.writeInteger(value.bitPattern)
        case .float(let value):
            buffer.writeInteger(Int32(4))
            buffer.writeInteger(value.bitPattern)
        case .boolean(let value):
            buffer.writeInteger(Int32(1))
            buffer.writeInteger(UInt8(value ? 1 : 0))
        case .blob(let bytes), .raw(let bytes):
            buffer.writeInteger(Int32(bytes.count))
            buffer.writeBytes(bytes)
        case .date(let days):
            buffer.writeInteger(Int32(4))
            // Unsigned days with the epoch at 2^31 (section 6.5).
            buffer.writeInteger(UInt32(bitPattern: days) &+ (1 << 31))
        case .uuid(let bytes):
            guard bytes.count == 16 else { throw CQLProtocolError("uuid of \(bytes.count) bytes, expected 16") }
            buffer.writeInteger(Int32(16))
            buffer.writeBytes(bytes)
        case .list(let elements), .set(let elements):
            try writeLengthPrefixed(to: &buffer) { (body: inout ByteBuffer) throws(CQLProtocolError) in
                body.writeInteger(Int32(elements.count))
                for element in elements { try element.write(to: &body) }
            }
        case .map(let entries):
            try writeLengthPrefixed(to: &buffer) { (body: inout ByteBuffer) throws(CQLProtocolError) in
                body.writeInteger(Int32(entries.count))
                for entry in entries {
                    try entry.key.write(to: &body)
                    try entry.value.write(to: &body)
                }
            }
        }
    }

    private func writeLengthPrefixed(
        to buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws(CQLProtocolError) -> Void
    ) throws(CQLProtocolError) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        try body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    /// Decodes the serialized bytes of one value of `type` (nil bytes are `null`).
    ///
    /// Empty bytes for a fixed-size type (a legacy "empty" value) decode to `null`.
    public static func decode(_ bytes: ByteBuffer?, as type: CQLDataType) throws(CQLProtocolError) -> CQLValue {
        guard var bytes else { return .null }
        func fixed<T: FixedWidthInteger>(_: T.Type) throws(CQLProtocolError) -> T? {
            if bytes.readableBytes == 0 { return nil }
            guard bytes.readableBytes == MemoryLayout<T>.size, let value = bytes.readInteger(as: T.self) else {
                throw CQLProtocolError("\(type) value of \(bytes.readableBytes) bytes, expected \(MemoryLayout<T>.size)")
            }
            return value
        }
        switch type {
        case .ascii, .varchar:
            guard let string = bytes.readString(length: bytes.readableBytes) else { throw .truncated("text value") }
            return .text(string)
        case .bigint, .counter: return try fixed(Int64.self).map(CQLValue.bigint) ?? .null
        case .timestamp: return try fixed(Int64.self).map(CQLValue.timestamp) ?? .null
        case .time: return try fixed(Int64.self).map(CQLValue.time) ?? .null
        case .int: return try fixed(Int32.self).map(CQLValue.int) ?? .null
        case .smallint: return try fixed(Int16.self).map(CQLValue.smallint) ?? .null
        case .tinyint: return try fixed(Int8.self).map(CQLValue.tinyint) ?? .null
        case .double: return try fixed(UInt64.self).map { .double(Double(bitPattern: $0)) } ?? .null
        case .float: return try fixed(UInt32.self).map { .float(Float(bitPattern: $0)) } ?? .null
        case .boolean: return try fixed(UInt8.self).map { .boolean($0 != 0) } ?? .null
        case .date: return try fixed(UInt32.self).map { .date(Int32(bitPattern: $0 &- (1 << 31))) } ?? .null
        case .uuid, .timeuuid:
            if bytes.readableBytes == 0 { return .null }
            guard bytes.readableBytes == 16 else { throw CQLProtocolError("uuid value of \(bytes.readableBytes) bytes") }
            return .uuid(bytes.readBytes(length: 16)!)
        case .blob: return .blob(bytes.readBytes(length: bytes.readableBytes)!)
        case .list(let element), .set(let element):
            let count = try bytes.readCQLInt("collection size")
            guard count >= 0, Int(count) <= bytes.readableBytes / 4 else {
                throw CQLProtocolError("collection size \(count) does not fit its \(bytes.readableBytes) bytes")
            }
            var elements: [CQLValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count { elements.append(try decode(try bytes.readCQLBytesSlice("collection element"), as: element)) }
            if case .set = type { return .set(elements) }
            return .list(elements)
        case .map(let keyType, let valueType):
            let count = try bytes.readCQLInt("map size")
            guard count >= 0, Int(count) <= bytes.readableBytes / 8 else {
                throw CQLProtocolError("map size \(count) does not fit its \(bytes.readableBytes) bytes")
            }
            var entries: [MapEntry] = []
            for _ in 0..<count {
                let key = try decode(try bytes.readCQLBytesSlice("map key"), as: keyType)
                entries.append(MapEntry(key: key, value: try decode(try bytes.readCQLBytesSlice("map value"), as: valueType)))
            }
            return .map(entries)
        case .custom, .decimal, .varint, .inet, .udt, .tuple:
            return .raw(bytes.readBytes(length: bytes.readableBytes)!)
        }
    }
}

extension CQLValue {
    /// The string of a `text` value, else nil.
    public var string: String? { if case .text(let v) = self { v } else { nil } }
    /// The integer of a `bigint`, `timestamp`, `int`, `smallint` or `tinyint` value, else nil.
    public var int64: Int64? {
        switch self {
        case .bigint(let v), .timestamp(let v), .time(let v): v
        case .int(let v): Int64(v)
        case .smallint(let v): Int64(v)
        case .tinyint(let v): Int64(v)
        case .date(let v): Int64(v)
        default: nil
        }
    }
    /// The number of a `double` or `float` value, else nil.
    public var double: Double? {
        switch self {
        case .double(let v): v
        case .float(let v): Double(v)
        default: nil
        }
    }
    /// The flag of a `boolean` value, else nil.
    public var bool: Bool? { if case .boolean(let v) = self { v } else { nil } }
    /// Whether this is `null`.
    public var isNull: Bool { self == .null }
}
