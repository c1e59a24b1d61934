#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines.
    public var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}

/// Standard error as a text stream, for `print(..., to:)` without Foundation's FileHandle.
/// Unbuffered (each `write` is one write(2)), so a message is out before the process exits.
public struct StandardError: TextOutputStream {
    public init() {}

    public mutating func write(_ string: String) {
        var string = string
        string.withUTF8 {
            #if canImport(Glibc)
            _ = Glibc.write(2, $0.baseAddress, $0.count)
            #elseif canImport(Darwin)
            _ = Darwin.write(2, $0.baseAddress, $0.count)
            #endif
        }
    }
}
