import NIOCore

/// A column or bind-marker type (`[option]` of section 4.2.5.2).
public indirect enum CQLDataType: Sendable, Hashable, CustomStringConvertible {
    case custom(String)
    case ascii, bigint, blob, boolean, counter, decimal, double, float, int
    case timestamp, uuid, varchar, varint, timeuuid, inet, date, time, smallint, tinyint
    case list(CQLDataType)
    case map(CQLDataType, CQLDataType)
    case set(CQLDataType)
    case udt(keyspace: String, name: String, fields: [Field])
    case tuple([CQLDataType])

    /// A field of a user-defined type.
    public struct Field: Sendable, Hashable {
        /// The field name.
        public var name: String
        /// The field type.
        public var type: CQLDataType
        /// A field called `name` of `type`.
        public init(name: String, type: CQLDataType) {
            self.name = name
            self.type = type
        }
    }

    /// The option id of the spec.
    public var id: UInt16 {
        switch self {
        case .custom: 0x0000
        case .ascii: 0x0001
        case .bigint: 0x0002
        case .blob: 0x0003
        case .boolean: 0x0004
        case .counter: 0x0005
        case .decimal: 0x0006
        case .double: 0x0007
        case .float: 0x0008
        case .int: 0x0009
        case .timestamp: 0x000B
        case .uuid: 0x000C
        case .varchar: 0x000D
        case .varint: 0x000E
        case .timeuuid: 0x000F
        case .inet: 0x0010
        case .date: 0x0011
        case .time: 0x0012
        case .smallint: 0x0013
        case .tinyint: 0x0014
        case .list: 0x0020
        case .map: 0x0021
        case .set: 0x0022
        case .udt: 0x0030
        case .tuple: 0x0031
        }
    }

    /// The CQL spelling (`map<text, bigint>`).
    public var description: String {
        switch self {
        case .custom(let name): "'\(name)'"
        case .ascii: "ascii"
        case .bigint: "bigint"
        case .blob: "blob"
        case .boolean: "boolean"
        case .counter: "counter"
        case .decimal: "decimal"
        case .double: "double"
        case .float: "float"
        case .int: "int"
        case .timestamp: "timestamp"
        case .uuid: "uuid"
        case .varchar: "text"
        case .varint: "varint"
        case .timeuuid: "timeuuid"
        case .inet: "inet"
        case .date: "date"
        case .time: "time"
        case .smallint: "smallint"
        case .tinyint: "tinyint"
        case .list(let element): "list<\(element)>"
        case .map(let key, let value): "map<\(key), \(value)>"
        case .set(let element): "set<\(element)>"
        case .udt(let keyspace, let name, _): "\(keyspace).\(name)"
        case .tuple(let types): "tuple<\(types.map(\.description).joined(separator: ", "))>"
        }
    }

    private static let simple: [UInt16: CQLDataType] = [
        0x01: .ascii, 0x02: .bigint, 0x03: .blob, 0x04: .boolean, 0x05: .counter, 0x06: .decimal,
        0x07: .double, 0x08: .float, 0x09: .int, 0x0B: .timestamp, 0x0C: .uuid, 0x0D: .varchar,
        0x0E: .varint, 0x0F: .timeuuid, 0x10: .inet, 0x11: .date, 0x12: .time, 0x13: .smallint, 0x14: .tinyint,
    ]

    /// Reads an `[option]` type, with a nesting limit so that hostile input cannot exhaust the stack.
    static func read(from buffer: inout ByteBuffer, depth: Int = 0) throws(CQLProtocolError) -> CQLDataType {
        guard depth < 32 else { throw CQLProtocolError("column type nested deeper than 32 levels") }
        let id = try buffer.readCQLShort("type id")
        if let type = simple[id] { return type }
        switch id {
        case 0x0000: return .custom(try buffer.readCQLString("custom type class"))
        case 0x0020: return .list(try read(from: &buffer, depth: depth + 1))
        case 0x0021:
            let key = try read(from: &buffer, depth: depth + 1)
            return .map(key, try read(from: &buffer, depth: depth + 1))
        case 0x0022: return .set(try read(from: &buffer, depth: depth + 1))
        case 0x0030:
            let keyspace = try buffer.readCQLString("UDT keyspace")
            let name = try buffer.readCQLString("UDT name")
            let count = Int(try buffer.readCQLShort("UDT field count"))
            var fields: [Field] = []
            for _ in 0..<count {
                let fieldName = try buffer.readCQLString("UDT field name")
                fields.append(Field(name: fieldName, type: try read(from: &buffer, depth: depth + 1)))
            }
            return .udt(keyspace: keyspace, name: name, fields: fields)
        case 0x0031:
            let count = Int(try buffer.readCQLShort("tuple size"))
            var types: [CQLDataType] = []
            for _ in 0..<count { types.append(try read(from: &buffer, depth: depth + 1)) }
            return .tuple(types)
        default:
            throw CQLProtocolError("unknown column type id 0x\(String(id, radix: 16))")
        }
    }

    /// Writes this type as an `[option]`.
    func write(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        buffer.writeInteger(id)
        switch self {
        case .custom(let name): try buffer.writeCQLString(name)
        case .list(let element), .set(let element): try element.write(to: &buffer)
        case .map(let key, let value):
            try key.write(to: &buffer)
            try value.write(to: &buffer)
        case .udt(let keyspace, let name, let fields):
            try buffer.writeCQLString(keyspace)
            try buffer.writeCQLString(name)
            buffer.writeInteger(UInt16(fields.count))
            for field in fields {
                try buffer.writeCQLString(field.name)
                try field.type.write(to: &buffer)
            }
        case .tuple(let types):
            buffer.writeInteger(UInt16(types.count))
            for type in types { try type.write(to: &buffer) }
        default: break
        }
    }
}
