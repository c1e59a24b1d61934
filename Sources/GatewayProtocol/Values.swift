import TenantTime
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsers for the protocol's attribute values, working on raw bytes.
public enum GatewayValues {
    /// Whether `bytes` is a gateway or sensor id: `[A-Za-z0-9._:-]{1,64}`.
    public static func isValidID(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard (1...64).contains(bytes.count) else { return false }
        for c in bytes {
            guard c.isASCIILetter || c.isASCIIDigit || c == .dot || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c == .dash
            else { return false }
        }
        return true
    }

    /// An unsigned 64-bit decimal integer (digits only, no sign), or nil.
    public static func parseUInt64(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard (1...20).contains(bytes.count) else { return nil }
        var value: UInt64 = 0
        for c in bytes {
            guard c.isASCIIDigit else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(c &- 0x30))
            guard !o1, !o2 else { return nil }
            value = s
        }
        return value
    }

    /// A finite decimal number: `[+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?`, at most 64 bytes.
    /// `NaN`, `inf`, hex floats, empty and out-of-range values are nil.
    public static func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        guard n > 0, n <= 64 else { return nil }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var intDigits = 0
        var fracDigits = 0
        var scale = 0  // decimal exponent applied to mantissa
        var exact = true
        while i < n, bytes[i].isASCIIDigit {
            let d = UInt64(bytes[i] &- 0x30)
            if significant < 19 {
                mantissa = mantissa * 10 + d
                if mantissa != 0 { significant += 1 }
            } else {
                scale += 1
                exact = false
            }
            intDigits += 1
            i += 1
        }
        if i < n, bytes[i] == .dot {
            i += 1
            while i < n, bytes[i].isASCIIDigit {
                let d = UInt64(bytes[i] &- 0x30)
                if significant < 19 {
                    mantissa = mantissa * 10 + d
                    if mantissa != 0 { significant += 1 }
                    scale -= 1
                } else {
                    exact = false
                }
                fracDigits += 1
                i += 1
            }
        }
        guard intDigits + fracDigits > 0 else { return nil }
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exp = 0
            var expDigits = 0
            while i < n, bytes[i].isASCIIDigit {
                if exp < 100_000 { exp = exp * 10 + Int(bytes[i] &- 0x30) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            scale += expNegative ? -exp : exp
        }
        guard i == n else { return nil }
        // Fast path: an exactly representable mantissa scaled by an exact power of ten is
        // correctly rounded by one IEEE multiplication or division.
        if exact, mantissa < (1 << 53), scale >= -22, scale <= 22 {
            var value = Double(mantissa)
            if scale < 0 { value /= powersOfTen[-scale] } else { value *= powersOfTen[scale] }
            return negative ? -value : value
        }
        // Slow path: the C library's correctly rounded conversion.
        let value: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buffer in
            for k in 0..<n { buffer[k] = CChar(bitPattern: bytes[k]) }
            buffer[n] = 0
            return strtod(buffer.baseAddress!, nil)
        }
        return value.isFinite ? value : nil
    }

    private static let powersOfTen: [Double] = (0...22).map { k in
        var v = 1.0
        for _ in 0..<k { v *= 10 }
        return v
    }

    /// An RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) as UTC milliseconds
    /// since the epoch; fractions beyond milliseconds are truncated. Nil if invalid.
    public static func parseTimestamp(_ b: UnsafeRawBufferPointer) -> Int64? { Timestamp.parseRFC3339(b) }
}
