import Foundation

/// An IPv4 block in CIDR notation (`10.200.0.0/16`), the unit of address math for
/// provider networks.
public struct IPv4Block: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// First address, as a 32-bit number (host bits zero).
    public let base: UInt32
    /// Prefix length, 0...32.
    public let prefix: Int

    /// A block; the host bits of `base` are cleared.
    public init(base: UInt32, prefix: Int) {
        precondition((0...32).contains(prefix), "prefix out of range")
        self.prefix = prefix
        self.base = base & Self.mask(prefix)
    }

    /// Parses `A.B.C.D/N`; nil for anything else (IPv6 included). Host bits must be zero, so
    /// a typo such as `10.200.0.1/16` is refused rather than silently widened.
    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = Int(parts[1]), (0...32).contains(prefix),
            let address = Self.parseAddress(parts[0])
        else { return nil }
        guard address & ~Self.mask(prefix) == 0 else { return nil }
        self.init(base: address, prefix: prefix)
    }

    /// Number of addresses in the block.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }

    /// Last address of the block.
    public var last: UInt32 { base | ~Self.mask(prefix) }

    /// Whether the two blocks share any address.
    public func overlaps(_ other: IPv4Block) -> Bool { base <= other.last && other.base <= last }

    /// `A.B.C.D/N`.
    public var description: String { "\(Self.format(base))/\(prefix)" }

    public static func < (lhs: IPv4Block, rhs: IPv4Block) -> Bool { (lhs.base, lhs.prefix) < (rhs.base, rhs.prefix) }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    static func parseAddress(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ $0.isASCII && $0.isNumber }), let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    static func format(_ address: UInt32) -> String {
        [24, 16, 8, 0].map { String((address >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }
}

/// The range tenantctl carves provider networks from: one small subnet (a /28 by default,
/// 11 usable container addresses) per provider, so a host holds thousands of providers
/// instead of the ~30 the engine's default pools allow (each default bridge takes a /20 or
/// a /16 of 172.17.0.0/12 and 192.168.0.0/16).
public struct SubnetPool: Sendable, Hashable, CustomStringConvertible {
    /// The range subnets come from.
    public let range: IPv4Block
    /// Prefix length of each provider subnet.
    public let subnetPrefix: Int

    /// The default range: inside 10.0.0.0/8, which the engine's default bridge pools never
    /// use, and away from its start, where swarm's default overlay pool (10.0.0.0/8 in /24s)
    /// allocates first. 4,096 providers of /28 each.
    public static let defaultRange = IPv4Block(cidr: "10.200.0.0/16")!
    /// Default size of a provider subnet.
    public static let defaultSubnetPrefix = 28
    /// The default pool.
    public static let `default` = SubnetPool(range: defaultRange, subnetPrefix: defaultSubnetPrefix)!

    /// A pool; nil when the range is smaller than one subnet or the subnet is too small to
    /// hold a provider's containers (network, gateway and broadcast addresses take three).
    public init?(range: IPv4Block, subnetPrefix: Int = SubnetPool.defaultSubnetPrefix) {
        guard (16...29).contains(subnetPrefix), range.prefix <= subnetPrefix else { return nil }
        self.range = range
        self.subnetPrefix = subnetPrefix
    }

    /// Parses `--subnet-pool` text: `CIDR` or `CIDR:/N` is not accepted; the subnet size is
    /// fixed per pool. Throws a message naming the rule.
    public static func parse(_ text: String) throws(SubnetPoolError) -> SubnetPool {
        guard let range = IPv4Block(cidr: text.trimmingCharacters(in: .whitespaces)) else {
            throw SubnetPoolError("'\(text)' is not an IPv4 range in CIDR notation with zero host bits (e.g. 10.200.0.0/16)")
        }
        guard let pool = SubnetPool(range: range) else {
            throw SubnetPoolError("'\(text)' is smaller than one /\(defaultSubnetPrefix) provider subnet")
        }
        return pool
    }

    /// How many provider subnets the range holds.
    public var capacity: Int { Int(range.size >> UInt64(32 - subnetPrefix)) }

    /// The first subnet of the range that overlaps none of `taken`; nil when the range is full.
    /// Runs in O(taken log taken), not O(capacity): it walks the sorted taken blocks and
    /// jumps over each, so a /8 range with thousands of networks stays instant.
    public func firstFree(avoiding taken: [IPv4Block]) -> IPv4Block? {
        let step = UInt64(1) << UInt64(32 - subnetPrefix)
        var candidate = UInt64(range.base)
        let end = UInt64(range.base) + range.size
        let blocking = taken.filter { $0.overlaps(range) }.sorted()
        var index = 0
        while candidate + step <= end {
            let block = IPv4Block(base: UInt32(candidate), prefix: subnetPrefix)
            while index < blocking.count, UInt64(blocking[index].last) < candidate { index += 1 }
            guard let conflict = blocking[index...].first(where: { $0.overlaps(block) }) else { return block }
            // Jump past the conflicting block, rounded up to the next subnet boundary.
            let next = UInt64(conflict.last) + 1
            candidate = (next + step - 1) / step * step
        }
        return nil
    }

    /// How many of the pool's subnets overlap `taken` (its use, for `doctor`).
    public func used(by taken: [IPv4Block]) -> Int {
        var count = 0
        var seen = Set<UInt32>()
        for block in taken where block.overlaps(range) {
            let first = max(block.base, range.base)
            let last = min(block.last, range.last)
            let shift = UInt32(32 - subnetPrefix)
            var index = first >> shift
            while index <= last >> shift {
                if seen.insert(index).inserted { count += 1 }
                if index == UInt32.max >> shift { break }
                index += 1
            }
        }
        return count
    }

    /// `10.200.0.0/16 in /28s`.
    public var description: String { "\(range) in /\(subnetPrefix)s" }
}

/// A `--subnet-pool` value that cannot be used.
public struct SubnetPoolError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the rule.
    public let description: String
    init(_ description: String) { self.description = description }
}
