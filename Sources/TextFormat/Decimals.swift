#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `value` with `digits` decimals, rounded as C's `printf("%.*f")` rounds: what
/// `String(format:)` gave, without linking all of Foundation for it.
public func fixed(_ value: Double, _ digits: Int) -> String {
    // 309 integer digits, a point and 17 decimals fit: the largest Double prints whole.
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer in
        let count = withVaList([Int32(max(0, min(digits, 17))), value]) { args in
            vsnprintf(buffer.baseAddress!, buffer.count, "%.*f", args)
        }
        guard count >= 0, count < buffer.count else { return "\(value)" }
        return String(cString: buffer.baseAddress!)
    }
}

/// Zero-padded decimal, e.g. `pad(7, 2)` = "07".
public func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value.magnitude)
    let padded = digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
    return value < 0 ? "-" + padded : padded
}
