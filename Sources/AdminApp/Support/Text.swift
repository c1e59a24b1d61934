/// Percent coding for forms and URLs, on the standard library alone.
extension StringProtocol {
    /// Every byte except ASCII letters and digits as `%XX`: safe in any URL component.
    var percentEncoded: String {
        var out = ""
        for byte in utf8 {
            if (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xf, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `%XX` escapes decoded; nil when an escape is malformed or the bytes are not UTF-8.
    var percentDecoded: String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        func hex(_ c: UInt8?) -> UInt8? {
            switch c {
            case .some(let c) where c >= 0x30 && c <= 0x39: return c - 0x30
            case .some(let c) where (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66: return (c | 0x20) - 0x61 + 10
            default: return nil
            }
        }
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
