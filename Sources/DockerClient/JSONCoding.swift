import Foundation

/// The encoder and decoder used on the wire. Keys are sorted so that equal requests
/// encode to equal bytes (tests and config hashes rely on it).
public enum JSONCoding {
    /// Encoder with sorted keys and unescaped slashes.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Plain decoder.
    public static var decoder: JSONDecoder { JSONDecoder() }
}

extension JSONDecoder {
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: Data(bytes))
    }
}
