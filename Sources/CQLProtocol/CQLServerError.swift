import NIOCore

/// An ERROR message from the server (sections 4.2.1 and 9): its code, message and
/// the code-specific detail, all decoded.
public struct CQLServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An error code of section 9. Unknown codes are kept as they are.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let serverError = Code(rawValue: 0x0000)
        public static let protocolError = Code(rawValue: 0x000A)
        public static let authenticationError = Code(rawValue: 0x0100)
        public static let unavailable = Code(rawValue: 0x1000)
        public static let overloaded = Code(rawValue: 0x1001)
        public static let isBootstrapping = Code(rawValue: 0x1002)
        public static let truncateError = Code(rawValue: 0x1003)
        public static let writeTimeout = Code(rawValue: 0x1100)
        public static let readTimeout = Code(rawValue: 0x1200)
        public static let readFailure = Code(rawValue: 0x1300)
        public static let functionFailure = Code(rawValue: 0x1400)
        public static let writeFailure = Code(rawValue: 0x1500)
        public static let syntaxError = Code(rawValue: 0x2000)
        public static let unauthorized = Code(rawValue: 0x2100)
        public static let invalid = Code(rawValue: 0x2200)
        public static let configError = Code(rawValue: 0x2300)
        public static let alreadyExists = Code(rawValue: 0x2400)
        public static let unprepared = Code(rawValue: 0x2500)

        private static let names: [Int32: String] = [
            0x0000: "server error", 0x000A: "protocol error", 0x0100: "authentication error",
            0x1000: "unavailable", 0x1001: "overloaded", 0x1002: "is bootstrapping", 0x1003: "truncate error",
            0x1100: "write timeout", 0x1200: "read timeout", 0x1300: "read failure", 0x1400: "function failure",
            0x1500: "write failure", 0x2000: "syntax error", 0x2100: "unauthorized", 0x2200: "invalid",
            0x2300: "config error", 0x2400: "already exists", 0x2500: "unprepared",
        ]

        /// The spec's name and the hex code: `write timeout (0x1100)`.
        public var description: String {
            let hex = "0x" + String(UInt32(bitPattern: rawValue), radix: 16)
            return "\(Self.names[rawValue] ?? "unknown error") (\(hex))"
        }
    }

    /// The code-specific content that follows the message.
    public enum Detail: Sendable, Hashable {
        case none
        case unavailable(consistency: CQLConsistency, required: Int32, alive: Int32)
        case writeTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, writeType: String)
        case readTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, dataPresent: Bool)
        case readFailure(consistency: CQLConsistency, received: Int32, blockFor: Int32, failures: Int32, dataPresent: Bool)
        case functionFailure(keyspace: String, function: String, argumentTypes: [String])
        case writeFailure(consistency: CQLConsistency, received: Int32, blockFor: Int32, failures: Int32, writeType: String)
        case alreadyExists(keyspace: String, table: String)
        case unprepared(id: [UInt8])
    }

    /// The error code.
    public var code: Code
    /// The server's message.
    public var message: String
    /// The code-specific content.
    public var detail: Detail

    /// An error as the server reports it.
    public init(code: Code, message: String, detail: Detail = .none) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// Whether the same request may succeed on retry (possibly on another node) without
    /// the caller changing anything: overload, bootstrapping, unavailable, timeouts.
    public var isTransient: Bool {
        [.overloaded, .isBootstrapping, .unavailable, .writeTimeout, .readTimeout].contains(code)
    }

    public var description: String {
        var text = "Cassandra \(code): \(message)"
        switch detail {
        case .none: break
        case .unavailable(let cl, let required, let alive):
            text += " [consistency \(cl), \(alive) of \(required) required replicas alive]"
        case .writeTimeout(let cl, let received, let blockFor, let writeType):
            text += " [consistency \(cl), \(received) of \(blockFor) acknowledged, write type \(writeType)]"
        case .readTimeout(let cl, let received, let blockFor, let dataPresent):
            text += " [consistency \(cl), \(received) of \(blockFor) responded, data \(dataPresent ? "present" : "absent")]"
        case .readFailure(let cl, let received, let blockFor, let failures, let dataPresent):
            text += " [consistency \(cl), \(received) of \(blockFor) responded, \(failures) failed, data \(dataPresent ? "present" : "absent")]"
        case .functionFailure(let keyspace, let function, let types):
            text += " [function \(keyspace).\(function)(\(types.joined(separator: ", ")))]"
        case .writeFailure(let cl, let received, let blockFor, let failures, let writeType):
            text += " [consistency \(cl), \(received) of \(blockFor) acknowledged, \(failures) failed, write type \(writeType)]"
        case .alreadyExists(let keyspace, let table):
            text += table.isEmpty ? " [keyspace \(keyspace)]" : " [table \(keyspace).\(table)]"
        case .unprepared(let id):
            text += " [statement id \(id.map { String($0, radix: 16) }.joined())]"
        }
        return text
    }

    static func read(from buffer: inout ByteBuffer) throws(CQLProtocolError) -> CQLServerError {
        let code = Code(rawValue: try buffer.readCQLInt("error code"))
        let message = try buffer.readCQLString("error message")
        let detail: Detail
        switch code {
        case .unavailable:
            detail = .unavailable(
                consistency: try buffer.readCQLConsistency("consistency"), required: try buffer.readCQLInt("required"),
                alive: try buffer.readCQLInt("alive"))
        case .writeTimeout:
            detail = .writeTimeout(
                consistency: try buffer.readCQLConsistency("consistency"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), writeType: try buffer.readCQLString("write type"))
        case .readTimeout:
            detail = .readTimeout(
                consistency: try buffer.readCQLConsistency("consistency"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), dataPresent: try buffer.readCQLByte("data present") != 0)
        case .readFailure:
            detail = .readFailure(
                consistency: try buffer.readCQLConsistency("consistency"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), failures: try buffer.readCQLInt("failures"),
                dataPresent: try buffer.readCQLByte("data present") != 0)
        case .functionFailure:
            detail = .functionFailure(
                keyspace: try buffer.readCQLString("keyspace"), function: try buffer.readCQLString("function"),
                argumentTypes: try buffer.readCQLStringList("argument types"))
        case .writeFailure:
            detail = .writeFailure(
                consistency: try buffer.readCQLConsistency("consistency"), received: try buffer.readCQLInt("received"),
                blockFor: try buffer.readCQLInt("blockfor"), failures: try buffer.readCQLInt("failures"),
                writeType: try buffer.readCQLString("write type"))
        case .alreadyExists:
            detail = .alreadyExists(keyspace: try buffer.readCQLString("keyspace"), table: try buffer.readCQLString("table"))
        case .unprepared:
            detail = .unprepared(id: try buffer.readCQLShortBytes("unprepared id"))
        default:
            detail = .none
        }
        return CQLServerError(code: code, message: message, detail: detail)
    }

    func write(to buffer: inout ByteBuffer) throws(CQLProtocolError) {
        buffer.writeInteger(code.rawValue)
        try buffer.writeCQLString(message)
        switch detail {
        case .none: break
        case .unavailable(let cl, let required, let alive):
            buffer.writeInteger(cl.rawValue)
            buffer.writeInteger(required)
            buffer.writeInteger(alive)
        case .writeTimeout(let cl, let received, let blockFor, let writeType):
            buffer.writeInteger(cl.rawValue)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            try buffer.writeCQLString(writeType)
        case .readTimeout(let cl, let received, let blockFor, let dataPresent):
            buffer.writeInteger(cl.rawValue)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .readFailure(let cl, let received, let blockFor, let failures, let dataPresent):
            buffer.writeInteger(cl.rawValue)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(failures)
            buffer.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .functionFailure(let keyspace, let function, let types):
            try buffer.writeCQLString(keyspace)
            try buffer.writeCQLString(function)
            try buffer.writeCQLStringList(types)
        case .writeFailure(let cl, let received, let blockFor, let failures, let writeType):
            buffer.writeInteger(cl.rawValue)
            buffer.writeInteger(received)
            buffer.writeInteger(blockFor)
            buffer.writeInteger(failures)
            try buffer.writeCQLString(writeType)
        case .alreadyExists(let keyspace, let table):
            try buffer.writeCQLString(keyspace)
            try buffer.writeCQLString(table)
        case .unprepared(let id):
            try buffer.writeCQLShortBytes(id)
        }
    }
}
