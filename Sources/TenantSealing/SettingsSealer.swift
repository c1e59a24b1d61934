import Crypto
import FoundationEssentials

/// Seals the secrets a provider's store keeps (the mail server password) with AES-256-GCM
/// under a key that lives only in the provider's secret files, so a copy of the store without
/// those files reveals nothing. A sealed value is text: `sealed:v1:` and the base64 of nonce,
/// ciphertext and tag. The associated data binds it to its provider and setting, so a sealed
/// value moved to another setting or another provider's store does not open.
public struct SettingsSealer: Sendable {
    /// Prefix of every sealed value; anything else is plain text from before sealing.
    public static let prefix = "sealed:v1:"
    /// Length of the key file's text: 32 bytes as hex.
    public static let keyHexLength = 64

    /// The key's bytes: `SymmetricKey` is not `Sendable` in swift-crypto 3, so one is made per call.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private let provider: String

    /// Why a key or a sealed value cannot be used; never contains the key or the secret.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// A sealer for `provider` with the key `keyHex` (64 hex digits, as tenantctl writes it).
    public init(keyHex: String, provider: String) throws(Failure) {
        let digits = Array(keyHex.utf8)
        guard digits.count == Self.keyHexLength, let bytes = Self.bytes(hex: digits) else {
            throw Failure(description: "the settings key must be \(Self.keyHexLength) hex digits")
        }
        self.keyBytes = bytes
        self.provider = provider
    }

    /// Whether `stored` is a sealed value (not plain text from before sealing).
    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// `plaintext` sealed for the setting `name`.
    public func seal(_ plaintext: String, name: String) throws(Failure) -> String {
        do {
            let box = try AES.GCM.seal(Array(plaintext.utf8), using: key, authenticating: associatedData(name))
            guard let combined = box.combined else { throw Failure(description: "sealing \(name) failed") }
            return Self.prefix + combined.base64EncodedString()
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "sealing \(name) failed: \(error)")
        }
    }

    /// The plaintext of the sealed value `stored` of setting `name`. Throws when it was sealed
    /// with another key, for another setting or provider, or was altered.
    public func open(_ stored: String, name: String) throws(Failure) -> String {
        guard Self.isSealed(stored), let combined = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else {
            throw Failure(description: "\(name) is not a sealed value")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plain = try AES.GCM.open(box, using: key, authenticating: associatedData(name))
            guard let text = String(validating: plain, as: UTF8.self) else { throw Failure(description: "\(name) is not text") }
            return text
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(name) does not open with this provider's settings key (another key, or altered)")
        }
    }

    private func associatedData(_ name: String) -> [UInt8] { Array("tenant-settings:v1:\(provider):\(name)".utf8) }

    private static func bytes(hex: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var index = 0
        while index + 1 < hex.count {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
