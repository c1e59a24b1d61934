import Foundation
import Testing
import TenantTime
import TextFormat

@testable import AdminApp

/// The standard-library replacements for the Foundation string and calendar calls the
/// admin app used to make, checked against Foundation itself.
@Suite struct TextAndTimeFormatTests {
    @Test func fixedMatchesStringFormat() {
        var value = -12_345.678
        while value < 12_345 {
            for digits in 0...3 {
                #expect(fixed(value, digits) == String(format: "%.\(digits)f", value), "\(value) \(digits)")
            }
            value += 17.0013
        }
        #expect(fixed(0.05, 1) == String(format: "%.1f", 0.05))
        #expect(fixed(1e300, 1) == String(format: "%.1f", 1e300))
        #expect(fixed(-.greatestFiniteMagnitude, 17) == String(format: "%.17f", -Double.greatestFiniteMagnitude))
    }

    @Test func percentCodingMatchesFoundation() {
        for text in ["/gateways/gw-1?range=month", "a b&c=d", "żółw/€", "", "%"] {
            #expect(text.percentEncoded == text.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            #expect(text.percentEncoded.percentDecoded == text)
        }
        for raw in ["caf%C3%A9", "100%25", "%2Fx", "plain"] {
            #expect(raw.percentDecoded == raw.removingPercentEncoding)
        }
        // Malformed escapes and bytes that are not UTF-8 are refused, as Foundation refuses them.
        for bad in ["%", "%4", "%G0", "%FF", "a%zz"] {
            #expect(bad.percentDecoded == nil, "\(bad)")
            #expect(bad.removingPercentEncoding == nil, "\(bad)")
        }
    }

    @Test func trimmedMatchesFoundation() {
        for text in ["  a b  ", "\n\t x \r\n", "", "   ", "x", "\u{00A0}y\u{2003}"] {
            #expect(text.trimmed == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.debugDescription)")
        }
    }

    @Test func daysAcrossDaylightSavingChanges() throws {
        let berlin = try #require(TimeZoneRules.named("Europe/Berlin"))
        let march28 = try #require(TimeFormat.parseDay("2026-03-28", in: berlin))
        let march29 = TimeFormat.addDays(1, to: march28, in: berlin)
        let march30 = TimeFormat.addDays(1, to: march29, in: berlin)
        #expect(TimeFormat.day(march29, in: berlin) == "2026-03-29")
        #expect(march30 - march29 == 23 * 3_600_000)  // the short day
        #expect(TimeFormat.addDays(-2, to: march30, in: berlin) == march28)
        #expect(TimeFormat.local(march30 + 90 * 60_000, in: berlin, seconds: true) == "2026-03-30 01:30:00")
        // The start of a day whose midnight was skipped is a day start for addDays too.
        let saoPaulo = try #require(TimeZoneRules.named("America/Sao_Paulo"))
        let skipped = try #require(TimeFormat.parseDay("2018-11-04", in: saoPaulo))
        #expect(TimeFormat.local(skipped, in: saoPaulo) == "2018-11-04 01:00")
        #expect(TimeFormat.local(TimeFormat.addDays(1, to: skipped, in: saoPaulo), in: saoPaulo) == "2018-11-05 00:00")
        #expect(TimeFormat.at(hour: 7, onDayOf: skipped, in: saoPaulo) - skipped == 6 * 3_600_000)
        #expect(TimeFormat.isMonday(try #require(TimeFormat.parseDay("2026-11-23", in: berlin)), in: berlin))
    }
}
