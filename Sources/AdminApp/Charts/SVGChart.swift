#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import TenantStorage
import TenantTime
import TextFormat

/// Server-rendered SVG charts as ``HTML``: axes with ticks, units and the time zone, no script.
enum SVGChart {
    static let width = 960.0, height = 320.0
    static let left = 64.0, right = 16.0, top = 16.0, bottom = 48.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// A "nice" upper bound and step for a value axis from 0 to `maximum`.
    static func niceScale(_ maximum: Double, ticks: Int = 5) -> (max: Double, step: Double) {
        guard maximum > 0, maximum.isFinite else { return (1, 0.2) }
        let raw = maximum / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        return (ceil(maximum / step) * step, step)
    }

    /// Formats a value-axis label in W/kW or Wh/kWh.
    static func axisLabel(_ value: Double, unit: String, kilo: Bool) -> String {
        kilo ? fixed(value / 1000, value / 1000 >= 10 || value == 0 ? 0 : 1) : fixed(value, 0)
    }

    private static func frame(title: String, yUnit: String, yMax: Double, yStep: Double, kilo: Bool, xTicks: [(Double, String)], xCaption: String, content: HTML) -> HTML {
        var svg: HTML = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(title)\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<title>\(title)</title>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>"
        var value = 0.0
        while value <= yMax + yStep / 2 {
            let y = top + plotHeight - value / yMax * plotHeight
            svg += "<line x1=\"\(left)\" y1=\"\(f(y))\" x2=\"\(width - right)\" y2=\"\(f(y))\" stroke=\"#e4e8ef\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(y + 4))\" text-anchor=\"end\" fill=\"#555\">\(axisLabel(value, unit: yUnit, kilo: kilo))</text>"
            value += yStep
        }
        for (x, label) in xTicks {
            let px = left + x * plotWidth
            svg += "<line x1=\"\(f(px))\" y1=\"\(top + plotHeight)\" x2=\"\(f(px))\" y2=\"\(top + plotHeight + 5)\" stroke=\"#888\"/>"
            svg += "<text x=\"\(f(px))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\" fill=\"#555\">\(label)</text>"
        }
        svg += content
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" stroke=\"#888\"/>"
        svg += "<text x=\"14\" y=\"\(f(top + plotHeight / 2))\" transform=\"rotate(-90 14 \(f(top + plotHeight / 2)))\" text-anchor=\"middle\" fill=\"#333\">\(yUnit)</text>"
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\" fill=\"#333\">\(xCaption)</text>"
        svg += "</svg>"
        return svg
    }

    static func f(_ value: Double) -> String { fixed(value, 1) }

    /// Time ticks for `[from, to)`: hours for a day, days for a week, every few days for a month.
    static func timeTicks(from: EpochMillis, to: EpochMillis, zone: TimeZoneRules) -> [(Double, String)] {
        let span = Double(to - from)
        guard span > 0 else { return [] }
        var ticks: [(Double, String)] = []
        if to - from <= 26 * 3_600_000 {
            var t = TimeFormat.startOfDay(from, in: zone)
            while t <= to {
                if t >= from {
                    ticks.append((Double(t - from) / span, "\(pad(TimeFormat.hour(t, in: zone), 2)):00"))
                }
                t += 3 * 3_600_000
            }
        } else {
            let stepDays = to - from <= 8 * 86_400_000 ? 1 : 5
            var t = TimeFormat.startOfDay(from, in: zone)
            var index = 0
            while t <= to {
                if t >= from && index % stepDays == 0 {
                    ticks.append((Double(t - from) / span, TimeFormat.monthDay(t, in: zone)))
                }
                t = TimeFormat.addDays(1, to: t, in: zone)
                index += 1
            }
        }
        return ticks
    }

    /// A power line chart over `[from, to)`; a gap longer than `gapMillis` breaks the line.
    static func power(_ points: [(at: EpochMillis, power: Double)], from: EpochMillis, to: EpochMillis, zone: TimeZoneRules, title: String, gapMillis: EpochMillis) -> HTML {
        let peak = points.map(\.power).max() ?? 0
        let kilo = peak >= 10_000
        let (yMax, yStep) = niceScale(max(peak, 1))
        let span = Double(max(to - from, 1))
        var path = ""
        var previous: EpochMillis?
        for point in points {
            let x = left + Double(point.at - from) / span * plotWidth
            let y = top + plotHeight - max(0, min(point.power, yMax)) / yMax * plotHeight
            let move = previous.map { point.at - $0 > gapMillis } ?? true
            path += (move ? "M" : "L") + f(x) + " " + f(y)
            previous = point.at
        }
        let line: HTML = path.isEmpty
            ? "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#888\">no readings in this period</text>"
            : "<path d=\"\(path)\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>"
        return frame(title: title, yUnit: kilo ? "Power (kW)" : "Power (W)", yMax: yMax, yStep: yStep, kilo: kilo,
                     xTicks: timeTicks(from: from, to: to, zone: zone), xCaption: "Time (\(zone.identifier))", content: line)
    }

    /// Energy per day as bars.
    static func energyBars(_ days: [DayReport], zone: TimeZoneRules, title: String) -> HTML {
        let peak = days.map(\.energy).max() ?? 0
        let kilo = peak >= 10_000
        let (yMax, yStep) = niceScale(max(peak, 1))
        let slot = plotWidth / Double(max(days.count, 1))
        var bars = HTML()
        var ticks: [(Double, String)] = []
        let every = max(1, days.count / 10)
        for (index, day) in days.enumerated() {
            let barHeight = max(0, day.energy) / yMax * plotHeight
            let x = left + Double(index) * slot + slot * 0.15
            bars += "<rect x=\"\(f(x))\" y=\"\(f(top + plotHeight - barHeight))\" width=\"\(f(slot * 0.7))\" height=\"\(f(barHeight))\" fill=\"#f2a900\"><title>\(day.day): \(Units.energy(day.energy))</title></rect>"
            if index % every == 0 { ticks.append(((Double(index) + 0.5) / Double(max(days.count, 1)), String(day.day.suffix(5)))) }
        }
        return frame(title: title, yUnit: kilo ? "Energy (kWh)" : "Energy (Wh)", yMax: yMax, yStep: yStep, kilo: kilo,
                     xTicks: ticks, xCaption: "Day (\(zone.identifier))", content: bars)
    }
}
