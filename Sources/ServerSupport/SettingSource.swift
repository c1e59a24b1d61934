/// Where a server's settings come from: a flag if given, else an environment variable
/// (an empty variable counts as unset). Remembers deprecated variable names it read, so the
/// server can warn about them once logging is up.
public struct SettingSource: Sendable {
    public let environment: [String: String]
    /// One line per deprecated variable that was used.
    public private(set) var deprecations: [String] = []

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The flag's value, else `variable`'s, else `deprecated`'s (noted in ``deprecations``).
    public mutating func value(flag: String?, variable: String, deprecated: String? = nil) -> String? {
        if let flag { return flag }
        if let value = environment[variable], !value.isEmpty { return value }
        if let deprecated, let value = environment[deprecated], !value.isEmpty {
            deprecations.append("\(deprecated) is deprecated: set \(variable) instead")
            return value
        }
        return nil
    }

    /// True when the flag is set or the variable is `1` or `true`.
    public func isOn(flag: Bool, variable: String) -> Bool {
        flag || environment[variable] == "1" || environment[variable] == "true"
    }
}
