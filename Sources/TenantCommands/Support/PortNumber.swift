import ArgumentParser

/// The one rule for TCP port options: 1 to 65535. Checked in `validate()`, so an
/// out-of-range value is a usage error before anything converts it to a 16-bit port.
enum PortNumber {
    /// Valid host ports.
    static let range = 1...65535

    /// Throws a usage error naming `flag` when `value` is set and out of range.
    static func validate(_ flag: String, _ value: Int?) throws {
        if let value, !range.contains(value) { throw ValidationError("\(flag) must be 1 to 65535, got \(value)") }
    }
}
