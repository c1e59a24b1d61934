import TenantAuth

/// The cookie a browser gets when it signs in to an account: proof that it did so before,
/// which exempts its later attempts on that account from the per-address limit
/// (``LoginLimiter``). Its value is an HMAC-SHA256 of the lowercased account name under a key
/// drawn at start, so it needs no storage, names no account, and ends with the process (as
/// the limiter's counts do).
struct DeviceCookie: Sendable {
    static let name = "tc_device"
    /// A year: staff keep it across sessions.
    static let maxAge = 365 * 86_400

    private let key: [UInt8]

    init(key: [UInt8] = Array(SecretGenerator.token().utf8)) {
        self.key = key
    }

    /// The value proving a sign-in to `account`.
    func value(for account: String) -> String {
        Self.hmac(key: key, message: Array(account.lowercased().utf8)).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }

    /// Whether `cookie` proves a sign-in to `account` (compared in constant time).
    func proves(_ cookie: String?, account: String) -> Bool {
        guard let cookie else { return false }
        let expected = Array(value(for: account).utf8)
        let given = Array(cookie.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// RFC 2104 over SHA-256 (64-byte blocks).
    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.digest(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.digest(block.map { $0 ^ 0x36 } + message)
        return SHA256.digest(block.map { $0 ^ 0x5C } + inner)
    }
}
