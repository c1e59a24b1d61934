/// Random secrets for people and machines: generated passwords, API tokens, gateway keys,
/// session ids and CSRF tokens. Uses the system's cryptographic generator.
public enum SecretGenerator {
    private static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".utf8)

    /// A random string of `length` characters from an alphabet without look-alikes
    /// (no 0/O, 1/l/I), for people to type: ~5.8 bits per character.
    public static func password(length: Int = 20) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }

    /// `byteCount` random bytes as lowercase hex, for tokens that machines exchange.
    public static func token(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(byteCount * 2)
        for _ in 0..<byteCount {
            let byte = UInt8.random(in: 0...255, using: &generator)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
