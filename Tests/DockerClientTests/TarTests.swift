@testable import DockerAPI
import Testing

/// The one-file tar archives of the engine's archive endpoints.
@Suite struct TarTests {
    func extract(_ archive: [UInt8], chunk: Int) throws -> (name: String?, bytes: [UInt8]) {
        var out: [UInt8] = []
        var extractor = Tar.FileExtractor { out += $0 }
        var offset = 0
        while offset < archive.count {
            try extractor.feed(Array(archive[offset..<min(offset + chunk, archive.count)]))
            offset += chunk
        }
        try extractor.finish()
        return (extractor.fileName, out)
    }

    @Test(arguments: [0, 1, 511, 512, 513, 5000])
    func aFileSurvivesTheRoundTripInAnyChunking(size: Int) throws {
        let contents = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let archive = Tar.archive(name: "backup.db", contents: contents)
        #expect(archive.count % 512 == 0)
        for chunk in [1, 7, 512, 100_000] {
            let (name, bytes) = try extract(archive, chunk: chunk)
            #expect(name == "backup.db")
            #expect(bytes == contents)
        }
    }

    @Test func theHeaderChecksumIsWhatTarComputes() {
        let header = Array(Tar.archive(name: "a", contents: [1, 2, 3]).prefix(512))
        var summed = header
        for index in 148..<156 { summed[index] = UInt8(ascii: " ") }
        let stored = Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8)
        #expect(stored == summed.reduce(0) { $0 + Int($1) })
        #expect(String(decoding: header[124..<135], as: UTF8.self) == "00000000003")
    }

    @Test func paxRecordsAreSkippedAndTheirSizeWins() throws {
        let contents = Array(repeating: UInt8(9), count: 700)
        let record = Array("16 size=700\n".utf8) + Array("24 mtime=1700000000.5\n".utf8)
        var pax = Tar.archive(name: "PaxHeaders/backup.db", contents: record)
        pax = Array(pax.dropLast(1024))
        pax[156] = UInt8(ascii: "x")
        // A bogus size in the file header: the pax record's size must be used.
        var file = Tar.archive(name: "backup.db", contents: contents)
        for (index, byte) in "00000000001".utf8.enumerated() { file[124 + index] = byte }
        let (name, bytes) = try extract(pax + file, chunk: 300)
        #expect(name == "backup.db")
        #expect(bytes == contents)
    }

    @Test func aTruncatedArchiveIsAnError() throws {
        let archive = Tar.archive(name: "backup.db", contents: Array(repeating: 1, count: 2000))
        var extractor = Tar.FileExtractor { _ in }
        try extractor.feed(Array(archive.prefix(1500)))
        #expect(throws: Tar.ReadError.self) { try extractor.finish() }
        var empty = Tar.FileExtractor { _ in }
        #expect(throws: Tar.ReadError.self) { try empty.feed([UInt8](repeating: 0, count: 1024)) }
    }

    @Test func base256SizesAreRead() {
        var field = [UInt8](repeating: 0, count: 12)
        field[0] = 0x80
        field[11] = 0x10
        field[10] = 0x02
        #expect(Tar.FileExtractor.number(field[...]) == 0x210)
    }
}
