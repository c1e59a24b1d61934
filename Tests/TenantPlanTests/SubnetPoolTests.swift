import Testing

@testable import TenantPlan

@Suite struct IPv4BlockTests {
    @Test(arguments: [
        ("10.200.0.0/16", "10.200.0.0/16", UInt64(65536)), ("0.0.0.0/0", "0.0.0.0/0", UInt64(1) << 32),
        ("192.168.1.16/28", "192.168.1.16/28", UInt64(16)), ("255.255.255.255/32", "255.255.255.255/32", UInt64(1)),
    ])
    func parsesAndPrintsCIDR(text: String, printed: String, size: UInt64) throws {
        let block = try #require(IPv4Block(cidr: text))
        #expect(block.description == printed)
        #expect(block.size == size)
    }

    @Test(arguments: ["10.200.0.1/16", "10.200.0.0", "10.200.0.0/33", "10.200.0/16", "10.256.0.0/16", "a.b.c.d/8", "fd00::/8", "", "/", "10.0.0.0/-1", "10.0.0.0/+8", " 10.0.0.0/8"])
    func refusesWhatIsNotAnAlignedIPv4Block(text: String) {
        #expect(IPv4Block(cidr: text) == nil)
    }

    @Test func overlapIsSharedAddresses() throws {
        let a = try #require(IPv4Block(cidr: "10.200.0.0/28"))
        #expect(a.overlaps(try #require(IPv4Block(cidr: "10.200.0.0/16"))))
        #expect(a.overlaps(try #require(IPv4Block(cidr: "10.200.0.15/32"))))
        #expect(!a.overlaps(try #require(IPv4Block(cidr: "10.200.0.16/28"))))
        #expect(!a.overlaps(try #require(IPv4Block(cidr: "172.17.0.0/16"))))
    }
}

@Suite struct SubnetPoolTests {
    private func blocks(_ texts: String...) -> [IPv4Block] { texts.compactMap { IPv4Block(cidr: $0) } }

    @Test func defaultPoolAvoidsTheEngineDefaultsAndHoldsThousands() {
        let pool = SubnetPool.default
        #expect(pool.description == "10.200.0.0/16 in /28s")
        #expect(pool.capacity == 4096)
        // The engine's default bridge pools: 172.17.0.0/16..172.31.0.0/16 and 192.168.0.0/16.
        for engineDefault in blocks("172.16.0.0/12", "192.168.0.0/16") { #expect(!pool.range.overlaps(engineDefault)) }
    }

    @Test func firstFreeSkipsEveryTakenSubnet() {
        let pool = SubnetPool(range: IPv4Block(cidr: "10.200.0.0/24")!)!
        #expect(pool.firstFree(avoiding: [])?.description == "10.200.0.0/28")
        #expect(pool.firstFree(avoiding: blocks("10.200.0.0/28"))?.description == "10.200.0.16/28")
        #expect(pool.firstFree(avoiding: blocks("10.200.0.0/28", "10.200.0.16/28", "10.200.0.48/28"))?.description == "10.200.0.32/28")
        // A foreign /26 from the start and one address further on.
        #expect(pool.firstFree(avoiding: blocks("10.200.0.0/26", "10.200.0.70/32"))?.description == "10.200.0.80/28")
        // Networks outside the range do not matter; one covering it fills it.
        #expect(pool.firstFree(avoiding: blocks("172.17.0.0/16", "10.201.0.0/16"))?.description == "10.200.0.0/28")
        #expect(pool.firstFree(avoiding: blocks("10.0.0.0/8")) == nil)
    }

    @Test func aFullPoolHasNoFreeSubnetAndCountsItsUse() {
        let pool = SubnetPool(range: IPv4Block(cidr: "10.200.0.0/26")!)!
        let all = blocks("10.200.0.0/28", "10.200.0.16/28", "10.200.0.32/28", "10.200.0.48/28")
        #expect(pool.capacity == 4)
        #expect(pool.firstFree(avoiding: all) == nil)
        #expect(pool.used(by: all) == 4)
        #expect(pool.used(by: Array(all.prefix(3)) + blocks("192.168.0.0/20")) == 3)
        // A /27 takes two subnets; a /32 inside a taken subnet adds nothing.
        #expect(pool.used(by: blocks("10.200.0.0/27", "10.200.0.3/32")) == 2)
    }

    @Test func thousandsOfTakenSubnetsAreWalkedNotScanned() {
        let pool = SubnetPool(range: IPv4Block(cidr: "10.0.0.0/8")!)!
        let taken = (0..<5000).map { IPv4Block(base: IPv4Block(cidr: "10.0.0.0/8")!.base + UInt32($0) * 16, prefix: 28) }
        #expect(pool.firstFree(avoiding: taken.shuffled())?.description == "10.1.56.128/28")  // 5000 * 16 = 0x13880
    }

    @Test(arguments: ["10.200.0.0/29", "10.200.0.0/30", "nonsense", "10.200.0.7/16"])
    func unusablePoolsAreRefusedWithTheRule(text: String) {
        #expect(throws: SubnetPoolError.self) { try SubnetPool.parse(text) }
    }
}
