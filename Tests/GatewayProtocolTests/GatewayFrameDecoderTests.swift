import TenantStorage
import GatewayProtocol
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// Runs `input` through a decoder in an EmbeddedChannel and returns what came out:
/// the requests in order and the stream error, if any.
private func decode(_ input: [String], limits: GatewayLimits = .default) throws -> (requests: [GatewayRequest], error: GatewayStreamError?) {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(GatewayFrameDecoder(limits: limits)))
    var requests: [GatewayRequest] = []
    var streamError: GatewayStreamError?
    for chunk in input {
        do {
            try channel.writeInbound(ByteBuffer(string: chunk))
        } catch let error as GatewayStreamError {
            streamError = error
            break
        }
        while let request = try channel.readInbound(as: GatewayRequest.self) { requests.append(request) }
    }
    while let request = try channel.readInbound(as: GatewayRequest.self) { requests.append(request) }
    _ = try? channel.finish()
    return (requests, streamError)
}

private func report(_ body: String = "", _ attributes: String = #"gateway="gw-1" seq="1""#) -> String {
    "<report \(attributes)>\(body)</report>"
}

private func invalidReason(_ xml: String) throws -> String? {
    let (requests, error) = try decode([xml])
    #expect(error == nil)
    guard case .invalid(let invalid) = try #require(requests.first) else { return nil }
    return invalid.reason
}

@Suite struct GatewayFrameDecoderTests {
    static let sample = """
        <?xml version="1.0" encoding="UTF-8"?>
        <report gateway="gw-0001" seq="42">
          <reading sensor="inv-1" at="2026-11-24T10:15:00Z" power="1834.5" energy="15230.0"
                   voltage="231.2" current="7.9" temperature="41.5"/>
          <reading sensor="inv-2" at="2026-11-24T10:15:00Z" power="1790.0"/>
        </report>

        """

    static let sampleRequest = GatewayRequest.report(
        ReportRequest(
            gateway: "gw-0001", seq: 42,
            readings: [
                Reading(
                    sensor: "inv-1", at: 1_795_515_300_000, power: 1834.5, energy: 15230, voltage: 231.2, current: 7.9,
                    temperature: 41.5),
                Reading(sensor: "inv-2", at: 1_795_515_300_000, power: 1790),
            ]))

    @Test func decodesTheSpecExample() throws {
        let (requests, error) = try decode([Self.sample])
        #expect(error == nil)
        #expect(requests == [Self.sampleRequest])
    }

    @Test func decodesSeveralPerBufferWithCommentsAndDeclarations() throws {
        let heartbeat = #"<report gateway="gw-2" seq="7"/>"#
        let stream = Self.sample + "<!-- between -->\n" + heartbeat + Self.sample + "  <?pi data?>" + heartbeat
        let (requests, error) = try decode([stream])
        #expect(error == nil)
        let beat = GatewayRequest.report(ReportRequest(gateway: "gw-2", seq: 7, readings: []))
        #expect(requests == [Self.sampleRequest, beat, Self.sampleRequest, beat])
    }

    @Test func decodesElementsSplitAtEveryByte() throws {
        let stream = Self.sample + Self.sample
        let (requests, error) = try decode(stream.map { String($0) })
        #expect(error == nil)
        #expect(requests == [Self.sampleRequest, Self.sampleRequest])
    }

    @Test func passesByteToMessageDecoderVerifier() throws {
        let heartbeat = #"<report gateway="g" seq="1"><!-- a > b --><![CDATA[ </report> ]]></report>"#
        let beat = GatewayRequest.report(ReportRequest(gateway: "g", seq: 1, readings: []))
        let invalid = #"<report gateway="g" seq="x"/>"#
        let nack = GatewayRequest.invalid(InvalidReport(gateway: "g", seq: "x", reason: "invalid seq: expected an unsigned 64-bit integer"))
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                (Self.sample, [Self.sampleRequest]),
                (heartbeat + "\n" + heartbeat, [beat, beat]),
                (Self.sample + invalid + heartbeat, [Self.sampleRequest, nack, beat]),
                ("<?xml version='1.0'?>" + heartbeat + "<?xml version=\"1.0\"?>\n" + heartbeat, [beat, beat]),
            ],
            decoderFactory: { GatewayFrameDecoder() })
    }

    @Test func decodesReferencesInAttributeValues() throws {
        let xml = report(
            #"<reading sensor="inv&#45;1&#x2E;a" at="2026-01-01T00:00:00Z" power="1e3" note="&lt;&gt;&amp;&quot;&apos;"/>"#,
            #"gateway="gw&#58;1" seq="&#49;" key="k&amp;y" future="ignored""#)
        let (requests, error) = try decode([xml])
        #expect(error == nil)
        #expect(
            requests == [
                .report(
                    ReportRequest(
                        gateway: "gw:1", seq: 1, key: "k&y",
                        readings: [Reading(sensor: "inv-1.a", at: 1_767_225_600_000, power: 1000)]))
            ])
    }

    @Test func timestampsWithOffsetsBecomeUTCMilliseconds() throws {
        let xml = report(#"<reading sensor="s" at="2026-11-24T11:15:00.1234+01:00" power="-5"/>"#)
        let (requests, _) = try decode([xml])
        guard case .report(let r) = try #require(requests.first) else { Issue.record("not a report"); return }
        #expect(r.readings.first?.at == 1_795_515_300_123)
        #expect(r.readings.first?.power == -5)
    }

    @Test(arguments: [
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="NaN"/>"#, "reading 1: invalid power (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="inf"/>"#, "reading 1: invalid power (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power=""/>"#, "reading 1: invalid power (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1e999"/>"#, "reading 1: invalid power (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="0x10"/>"#, "reading 1: invalid power (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1" energy="-1"/>"#, "reading 1: invalid energy (finite decimal >= 0)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1" voltage="1.2.3"/>"#, "reading 1: invalid voltage (finite decimal)"),
        (#"<reading sensor="s" at="2026-11-24 10:15:00" power="1"/>"#, "reading 1: invalid timestamp (RFC 3339 with Z or offset)"),
        (#"<reading sensor="s" at="2026-02-30T10:15:00Z" power="1"/>"#, "reading 1: invalid timestamp (RFC 3339 with Z or offset)"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00" power="1"/>"#, "reading 1: invalid timestamp (RFC 3339 with Z or offset)"),
        (#"<reading sensor="bad id" at="2026-11-24T10:15:00Z" power="1"/>"#, "reading 1: invalid sensor id"),
        (#"<reading at="2026-11-24T10:15:00Z" power="1"/>"#, "reading 1: missing sensor"),
        (#"<reading sensor="s" power="1"/>"#, "reading 1: missing at"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z"/>"#, "reading 1: missing power"),
        (#"<meter/>"#, "unknown element <meter> in report"),
        (#"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1"><extra/></reading>"#, "unknown element <extra> in reading"),
    ])
    func nacksInvalidReadings(body: String, reason: String) throws {
        #expect(try invalidReason(report(body)) == reason)
    }

    @Test(arguments: [
        (#"seq="1""#, "missing gateway"),
        (#"gateway="gw-1""#, "missing seq"),
        (#"gateway="gw 1" seq="1""#, "invalid gateway id: expected [A-Za-z0-9._:-]{1,64}"),
        ("gateway=\"\(String(repeating: "g", count: 65))\" seq=\"1\"", "invalid gateway id: expected [A-Za-z0-9._:-]{1,64}"),
        (#"gateway="gw" seq="-1""#, "invalid seq: expected an unsigned 64-bit integer"),
        (#"gateway="gw" seq="18446744073709551616""#, "invalid seq: expected an unsigned 64-bit integer"),
    ])
    func nacksInvalidReportAttributes(attributes: String, reason: String) throws {
        #expect(try invalidReason(report("", attributes)) == reason)
    }

    @Test func nackEchoesGatewayAndSeq() throws {
        let (requests, _) = try decode([report(#"<bogus/>"#, #"gateway="gw-9" seq="12""#)])
        #expect(requests == [.invalid(InvalidReport(gateway: "gw-9", seq: "12", reason: "unknown element <bogus> in report"))])
    }

    @Test func tooManyReadingsIsANack() throws {
        let reading = #"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1"/>"#
        let (requests, error) = try decode(
            [report(String(repeating: reading, count: 4))], limits: GatewayLimits(maxReadingsPerReport: 3))
        #expect(error == nil)
        #expect(requests == [.invalid(InvalidReport(gateway: "gw-1", seq: "1", reason: "too many readings (limit 3)"))])
    }

    @Test(arguments: [
        "<report gateway=\"g\" seq=\"1\"></reprt>",
        "<report gateway=\"g\" seq=\"1\" seq=\"2\"/>",
        "<report gateway=g seq=\"1\"/>",
        "<report gateway=\"g\"seq=\"1\"/>",
        "<report gateway=\"a<b\" seq=\"1\"/>",
        "<report gateway=\"g\" seq=\"1\">&bogus;</report>",
        "<report gateway=\"g\" seq=\"1\">&#0;</report>",
        "<report gateway=\"g\" seq=\"1\"><!-- a -- b --></report>",
        "<report gateway=\"g\" seq=\"1\">]]></report>",
        "text before",
        "<status/>",
        "</report>",
        "<report gateway=\"g\" seq=\"1\"/><?xml version=\"1.0\"?><?xml version=\"1.0\"?>",
        "<?xml encoding=\"UTF-8\"?><report/>",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><report/>",
        "<report gateway=\"g\" seq=\"1\">\u{01}</report>",
    ])
    func rejectsMalformedStreams(input: String) throws {
        let (_, error) = try decode([input])
        #expect(error?.code == .malformed, "\(input)")
    }

    /// The faults gateways send, each followed by a good report: `malformed` comes as soon as
    /// the bytes that make the stream not well-formed have arrived (fed one byte at a time),
    /// before the next report, which is never swallowed into an element that cannot end.
    @Test(arguments: [
        // Mismatched end tags: refused at the first wrong byte.
        (#"<report gateway="g" seq="1"><reading sensor="s" at="x" power="1"></readX"#, 0),
        (#"<report gateway="g" seq="1"></reportx"#, 0),
        (#"<report gateway="g" seq="1"><reading sensor="s"></reading></reading>"#, 0),
        // Broken quoting: a missing closing quote runs into the next '<' or a name without space.
        (#"<report gateway="g seq="1"#, 0),
        (#"<report gateway="g>"#, 1),
        (#"<report gateway='g" seq="1"/>"#, 1),
        (#"<report gateway=g"#, 0),
        // Attributes without values.
        (#"<report gateway seq="1">"#, 0),
        (#"<report gateway="g" seq>"#, 0),
        (#"<report gateway="g" seq="1" flag/>"#, 0),
        (#"<report gateway="g" seq="1" ="x"/>"#, 0),
        // Stray '<' and '&'.
        (#"<report gateway="g" seq="1">a < b"#, 0),
        (#"<report gateway="g" seq="1"><<"#, 0),
        (#"<report gateway="g" seq="1">a & b"#, 0),
        (#"<report gateway="a&b" seq="1"/>"#, 0),
        (#"<report gateway="g" seq="1">&bogus;"#, 0),
        (#"<report gateway="g" seq="1">&#x;"#, 0),
        (#"<report gateway="a<b" seq="1"/>"#, 0),
        // Text outside an element, an unknown top-level element.
        ("hello", 0),
        ("<status>", 0),
    ])
    func refusesEachFaultBeforeTheNextReport(fault: String, lookahead: Int) throws {
        let next = Array(#"<report gateway="g" seq="2"/>"#.utf8)
        let bytes = Array(fault.utf8) + next
        var decoder = GatewayFrameDecoder()
        var buffer = ByteBuffer()
        var requests = 0
        var refusedAt: Int?
        for (index, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            do {
                while try decoder.next(&buffer) != nil { requests += 1 }
            } catch {
                #expect(error.code == .malformed, "\(fault): \(error)")
                refusedAt = index + 1
                break
            }
        }
        #expect(requests == 0, "\(fault)")
        let at = try #require(refusedAt, "\(fault) never refused")
        // Refused within the fault (or the one byte after it that shows it, e.g. the next '<').
        #expect(at <= fault.utf8.count + lookahead, "\(fault) refused only at byte \(at)")
    }

    @Test func repliesBeforeAFaultAreKept() throws {
        let (requests, error) = try decode([Self.sample + "<bad"  + "<report/>"])
        #expect(requests == [Self.sampleRequest])
        #expect(error?.code == .malformed)
    }

    @Test func invalidUTF8IsMalformed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(GatewayFrameDecoder()))
        var buffer = ByteBuffer(string: "<report gateway=\"g\" seq=\"1\">")
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString("</report>")
        #expect(throws: GatewayStreamError.self) { try channel.writeInbound(buffer) }
        _ = try? channel.finish()
    }

    @Test func capsElementSize() throws {
        let limits = GatewayLimits(maxElementBytes: 1024)
        let reading = #"<reading sensor="s" at="2026-11-24T10:15:00Z" power="1"/>"#
        // Complete but too large.
        let (_, error1) = try decode([report(String(repeating: reading, count: 30))], limits: limits)
        #expect(error1?.code == .tooLarge)
        // Never-ending: refused once the buffered part passes the limit, without waiting for the end.
        let (_, error2) = try decode(
            ["<report gateway=\"g\" seq=\"1\">"] + Array(repeating: reading, count: 30), limits: limits)
        #expect(error2?.code == .tooLarge)
        // The default is 1 MiB.
        #expect(GatewayLimits.default.maxElementBytes == 1 << 20)
    }

    @Test func refusesDoctype() throws {
        let (_, error) = try decode(["<!DOCTYPE report>\n<report gateway=\"g\" seq=\"1\"/>"])
        #expect(error?.code == .forbidden)
    }

    @Test func refusesBillionLaughs() throws {
        var doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
        for level in 1...9 {
            doc += " <!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">\n"
        }
        doc += "]>\n<report gateway=\"&lol9;\" seq=\"1\"/>\n"
        let (requests, error) = try decode([doc])
        #expect(requests.isEmpty)
        #expect(error?.code == .forbidden)
        // Without the DOCTYPE the reference is undefined: malformed, never expanded.
        let (requests2, error2) = try decode(["<report gateway=\"&lol9;\" seq=\"1\"/>"])
        #expect(requests2.isEmpty)
        #expect(error2?.code == .malformed)
    }

    @Test func refusesExternalEntities() throws {
        let xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE report [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
            <report gateway="gw" seq="1"><reading sensor="&xxe;" at="2026-11-24T10:15:00Z" power="1"/></report>
            """
        let (requests, error) = try decode([xxe])
        #expect(requests.isEmpty)
        #expect(error?.code == .forbidden)
        // A declaration inside an element is refused as well.
        let (_, error2) = try decode(["<report gateway=\"g\" seq=\"1\"><!ENTITY x SYSTEM \"http://example.invalid/\"></report>"])
        #expect(error2?.code == .forbidden)
        let (_, error3) = try decode(["<!ENTITY x \"y\">"])
        #expect(error3?.code == .forbidden)
    }

    @Test func encodesReplies() {
        #expect(GatewayReply.ack(gateway: "gw-0001", seq: 42, stored: 2, duplicates: 0).line
            == "<ack gateway=\"gw-0001\" seq=\"42\" stored=\"2\" duplicates=\"0\"/>\n")
        #expect(GatewayReply.nack(gateway: "g<", seq: "4\"2", code: "invalid", reason: "bad\nthing & more").line
            == "<nack gateway=\"g&lt;\" seq=\"4&quot;2\" code=\"invalid\" reason=\"bad thing &amp; more\"/>\n")
        #expect(GatewayReply.error(GatewayStreamError(.tooLarge, "too big")).line == "<error code=\"too-large\" reason=\"too big\"/>\n")
        #expect(GatewayStreamError.Code.allCases.map(\.rawValue) == ["malformed", "too-large", "forbidden", "timeout", "overloaded"])
    }

    @Test func parsesDecimalsStrictly() {
        func parse(_ s: String) -> Double? { Array(s.utf8).withUnsafeBytes { GatewayValues.parseDecimal($0) } }
        #expect(parse("1e3") == 1000)
        #expect(parse("-0.5") == -0.5)
        #expect(parse(".5") == 0.5)
        #expect(parse("5.") == 5)
        #expect(parse("1834.5") == 1834.5)
        #expect(parse("0.1") == 0.1)
        #expect(parse("123456789012345678901234567890") == 123456789012345678901234567890.0)
        #expect(parse("2.2250738585072014e-308") == 2.2250738585072014e-308)
        for bad in ["", "-", ".", "e3", "1e", "NaN", "nan", "inf", "Infinity", "0x1p3", " 1", "1 ", "1,5", "1e400"] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }
}
