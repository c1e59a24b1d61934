import NIOCore

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`, `TENANT_TRUSTED_PROXIES`).
/// A request's client address is its peer's, unless the peer is one of these: then the
/// forwarded chain is read from the right, skipping trusted hops, and the first other address
/// is the client. Anyone can send the header, so from an untrusted peer it is ignored.
public struct TrustedProxies: Sendable, Equatable {
    /// One IPv4 or IPv6 network.
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        let bytes: [UInt8]
        let prefix: Int

        /// `ADDRESS` or `ADDRESS/PREFIX`, IPv4 or IPv6; nil when malformed or host bits are set.
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = TrustedProxies.bytes(of: String(parts[0])) else { return nil }
            let prefix: Int
            if parts.count == 2 {
                guard let value = Int(parts[1]), value >= 0, value <= bytes.count * 8, !parts[1].hasPrefix("+") else { return nil }
                prefix = value
            } else {
                prefix = bytes.count * 8
            }
            guard Self.mask(bytes, prefix) == bytes else { return nil }
            self.bytes = bytes
            self.prefix = prefix
        }

        /// Whether `address` (the raw bytes of an IPv4 or IPv6 address) lies in this network.
        func contains(_ address: [UInt8]) -> Bool {
            address.count == bytes.count && Self.mask(address, prefix) == bytes
        }

        private static func mask(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
            bytes.enumerated().map { index, byte in
                let bits = min(8, max(0, prefix - index * 8))
                return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
            }
        }

        public var description: String {
            let address = bytes.count == 4
                ? bytes.map(String.init).joined(separator: ".")
                : stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
            return "\(address)/\(prefix)"
        }
    }

    public var networks: [Network]

    /// No proxy is trusted: the peer address is the client.
    public static let none = TrustedProxies(networks: [])

    public init(networks: [Network]) {
        self.networks = networks
    }

    /// Comma- or space-separated networks; the error names the bad one.
    public init(parsing text: String) throws(TrustedProxyError) {
        var networks: [Network] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            guard let network = Network(parsing: String(item)) else { throw TrustedProxyError(text: String(item)) }
            networks.append(network)
        }
        self.networks = networks
    }

    /// Whether `address` (text) is a trusted proxy.
    func trusts(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client address of a request from `peer` carrying these `X-Forwarded-For` values
    /// (in header order). `peer` nil (no socket, as in router tests) reads "local".
    func client(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "local" }
        guard trusts(peer) else { return peer }
        var client = peer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: " \t") }
        for hop in hops.reversed() {
            // A malformed entry cannot be attributed: the last trusted hop stands for it.
            guard Self.bytes(of: hop) != nil else { break }
            client = hop
            if !trusts(hop) { break }
        }
        return client
    }

    /// The raw bytes of an IPv4 or IPv6 address, nil for anything else (names, ports, zones).
    static func bytes(of text: String) -> [UInt8]? {
        guard !text.isEmpty, !text.contains("%"), let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .v4(let v4): return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // IPv4-mapped (::ffff:a.b.c.d) counts as the IPv4 address.
            if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
            return bytes
        default: return nil
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}

/// A `--trusted-proxy` value that is not an address or network.
public struct TrustedProxyError: Error, Sendable, CustomStringConvertible {
    let text: String
    public var description: String { "'\(text)' is not an IP address or network (e.g. 172.17.0.1 or 10.0.0.0/8 or fd00::/8)" }
}
