import CCrypt

/// Slow, salted password hashes in the modular crypt format (yescrypt, `$y$...`),
/// computed by the system's libxcrypt. Used for staff passwords and gateway keys;
/// only the hash is ever stored.
public enum PasswordHasher {
    /// Hashes `password` with a fresh random salt. `cost` is yescrypt's work factor
    /// (libxcrypt's default is 5; each step doubles the time).
    public static func hash(_ password: String, cost: Int = 5) throws(PasswordHashError) -> String {
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$y$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
            throw PasswordHashError("cannot generate a salt (libcrypt: yescrypt unavailable?)")
        }
        return try crypt(password, setting: String(cString: setting))
    }

    /// Whether `password` matches `storedHash`, compared in constant time.
    public static func verify(_ password: String, against storedHash: String) -> Bool {
        guard storedHash.hasPrefix("$"), let computed = try? crypt(password, setting: storedHash) else { return false }
        return constantTimeEqual(Array(computed.utf8), Array(storedHash.utf8))
    }

    private static func crypt(_ password: String, setting: String) throws(PasswordHashError) -> String {
        guard !password.utf8.contains(0) else { throw PasswordHashError("password contains a NUL byte") }
        // struct crypt_data is ~32 KiB: keep it off the stack.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            data.update(repeating: crypt_data(), count: 1)  // wipe the password-derived state
            data.deallocate()
        }
        data.initialize(to: crypt_data())
        guard let result = crypt_r(password, setting, data), result.pointee != UInt8(ascii: "*") else {
            throw PasswordHashError("libcrypt refused the hash setting")
        }
        return String(cString: result)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// A password could not be hashed.
public struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
