#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import TenantStorage
import TenantTime
import TextFormat

/// Server-rendered SVG charts as ``HTML``: axes with ticks, units and the time zone, no script.
/// Values show on hover through SVG `<title>` elements, which browsers display as tooltips.
enum SVGChart {
    /// The drawing's own coordinate system. A phone shows the narrow one at nearly its natural
    /// size, so its 12-unit labels stay about 11 px high instead of shrinking to 5 px.
    struct Size: Sendable {
        var width: Double, height: Double
        var left: Double, right: Double, top: Double, bottom: Double
        /// Hours between time ticks on a chart of a day or less.
        var hourStep: Int
        /// At most this many day labels.
        var dayLabels: Int
        /// Hover bands across the plot (each a `<title>` with the values at that time).
        var hoverBands: Int
        var plotWidth: Double { width - left - right }
        var plotHeight: Double { height - top - bottom }

        static let wide = Size(width: 960, height: 320, left: 64, right: 16, top: 16, bottom: 48, hourStep: 3, dayLabels: 10, hoverBands: 96)
        static let narrow = Size(width: 360, height: 260, left: 58, right: 10, top: 12, bottom: 44, hourStep: 6, dayLabels: 5, hoverBands: 48)
    }

    /// One line: a sensor, or the total.
    struct Series: Sendable {
        var name: String
        var points: [(at: EpochMillis, power: Double)]
    }

    /// Line colours: the total is dark and thicker, sensors get distinct lighter hues.
    static let totalColor = "#1f3b73"
    static let sensorColors = ["#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#4e79a7"]

    /// A "nice" upper bound and step for a value axis from 0 to `maximum`: the step is 1, 2,
    /// 2.5 or 5 times a power of ten, so tick labels are round and, printed with
    /// ``decimals(for:)`` digits, distinct.
    static func niceScale(_ maximum: Double, ticks: Int = 5) -> (max: Double, step: Double) {
        guard maximum > 0, maximum.isFinite else { return (10, 2) }
        let raw = maximum / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * magnitude
        return (ceil(maximum / step - 1e-9) * step, step)
    }

    /// Digits after the point that print every multiple of `step` exactly (0 for whole steps).
    static func decimals(for step: Double) -> Int {
        var digits = 0
        var scaled = step
        while digits < 6 && abs(scaled - scaled.rounded()) > 1e-6 * max(1, abs(scaled)) {
            scaled *= 10
            digits += 1
        }
        return digits
    }

    /// The value-axis labels for `[0, yMax]` in steps of `step`, in W or kW (Wh or kWh).
    static func axisLabels(max yMax: Double, step: Double, kilo: Bool) -> [(value: Double, label: String)] {
        let divisor = kilo ? 1000.0 : 1
        let digits = decimals(for: step / divisor)
        var out: [(Double, String)] = []
        var index = 0.0
        while index * step <= yMax + step / 2 {
            let value = index * step
            out.append((value, fixed(value / divisor, digits)))
            index += 1
        }
        return out
    }

    private static func frame(
        _ size: Size, title: String, yUnit: String, yMax: Double, yStep: Double, kilo: Bool, xTicks: [(Double, String)], xCaption: String,
        content: HTML, legend: HTML = HTML(), className: String
    ) -> HTML {
        let (width, height, left, right, top) = (size.width, size.height, size.left, size.right, size.top)
        let plotHeight = size.plotHeight
        var svg: HTML = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(title)\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
        svg += "<title>\(title)</title>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>"
        for (value, label) in axisLabels(max: yMax, step: yStep, kilo: kilo) {
            let y = top + plotHeight - value / yMax * plotHeight
            svg += "<line x1=\"\(left)\" y1=\"\(f(y))\" x2=\"\(width - right)\" y2=\"\(f(y))\" stroke=\"#e4e8ef\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(f(y + 4))\" text-anchor=\"end\" fill=\"#555\" class=\"y-tick\">\(label)</text>"
        }
        for (x, label) in xTicks {
            let px = left + x * size.plotWidth
            svg += "<line x1=\"\(f(px))\" y1=\"\(top + plotHeight)\" x2=\"\(f(px))\" y2=\"\(top + plotHeight + 5)\" stroke=\"#888\"/>"
            svg += "<text x=\"\(f(px))\" y=\"\(top + plotHeight + 18)\" text-anchor=\"middle\" fill=\"#555\" class=\"x-tick\">\(label)</text>"
        }
        svg += content
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" stroke=\"#888\"/>"
        svg += "<text x=\"12\" y=\"\(f(top + plotHeight / 2))\" transform=\"rotate(-90 12 \(f(top + plotHeight / 2)))\" text-anchor=\"middle\" fill=\"#333\">\(yUnit)</text>"
        svg += "<text x=\"\(f(left + size.plotWidth / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\" fill=\"#333\">\(xCaption)</text>"
        svg += legend
        svg += "</svg>"
        return svg
    }

    static func f(_ value: Double) -> String { fixed(value, 1) }

    /// Time ticks for `[from, to)` on whole local hours or days: every few hours for a day or
    /// less, else every day or every few days, at most `size.dayLabels` labels.
    static func timeTicks(from: EpochMillis, to: EpochMillis, zone: TimeZoneRules, size: Size = .wide) -> [(Double, String)] {
        let span = Double(to - from)
        guard span > 0 else { return [] }
        var ticks: [(Double, String)] = []
        if to - from <= 26 * 3_600_000 {
            // Whole hours that are multiples of the step in local time, so DST days stay round too.
            var t = (from / 3_600_000) * 3_600_000
            while t <= to {
                let hour = TimeFormat.hour(t, in: zone)
                if t >= from && hour % size.hourStep == 0 && zone.local(t).minute == 0 {
                    ticks.append((Double(t - from) / span, "\(pad(hour, 2)):00"))
                }
                t += 3_600_000
            }
        } else {
            var days: [EpochMillis] = []
            var t = TimeFormat.startOfDay(from, in: zone)
            while t <= to {
                if t >= from { days.append(t) }
                t = TimeFormat.addDays(1, to: t, in: zone)
            }
            let every = max(1, Int((Double(days.count) / Double(size.dayLabels)).rounded(.up)))
            for (index, day) in days.enumerated() where index % every == 0 {
                ticks.append((Double(day - from) / span, TimeFormat.monthDay(day, in: zone)))
            }
        }
        return ticks
    }

    /// A power chart over `[from, to)`: the total as a thick line, each sensor as a thin one
    /// (when there is more than one), a gap longer than `gapMillis` breaks a line, and hover
    /// bands whose `<title>` gives the values at that time.
    static func power(
        total: [(at: EpochMillis, power: Double)], sensors: [Series] = [], from: EpochMillis, to: EpochMillis, zone: TimeZoneRules,
        title: String, gapMillis: EpochMillis, size: Size = .wide
    ) -> HTML {
        let peak = total.map(\.power).max() ?? 0
        let kilo = peak >= 10_000
        let (yMax, yStep) = niceScale(max(peak, 10))
        let span = Double(max(to - from, 1))
        func path(_ points: [(at: EpochMillis, power: Double)]) -> String {
            var path = ""
            var previous: EpochMillis?
            for point in points {
                let x = size.left + Double(point.at - from) / span * size.plotWidth
                let y = size.top + size.plotHeight - max(0, min(point.power, yMax)) / yMax * size.plotHeight
                let move = previous.map { point.at - $0 > gapMillis } ?? true
                path += (move ? "M" : "L") + f(x) + " " + f(y)
                previous = point.at
            }
            return path
        }
        var content = HTML()
        var legend = HTML()
        if total.isEmpty {
            content = "<text x=\"\(f(size.left + size.plotWidth / 2))\" y=\"\(f(size.top + size.plotHeight / 2))\" text-anchor=\"middle\" fill=\"#888\">no readings in this period</text>"
        } else {
            let shown = sensors.count > 1 ? sensors : []
            for (index, sensor) in shown.enumerated() {
                content += "<path class=\"sensor-line\" d=\"\(path(sensor.points))\" fill=\"none\" stroke=\"\(sensorColors[index % sensorColors.count])\" stroke-width=\"1\" stroke-linejoin=\"round\"><title>\(sensor.name)</title></path>"
            }
            content += "<path class=\"total-line\" d=\"\(path(total))\" fill=\"none\" stroke=\"\(totalColor)\" stroke-width=\"2\" stroke-linejoin=\"round\"><title>total</title></path>"
            content += hoverBands(total: total, sensors: shown, from: from, to: to, zone: zone, size: size)
            if !shown.isEmpty {
                // The legend sits in the top plot margin, one entry per line, total first.
                var x = size.left + 4
                for (index, entry) in ([("total", totalColor)] + shown.enumerated().map { ($1.name, sensorColors[$0 % sensorColors.count]) }).enumerated() {
                    guard index < 8 else { break }
                    legend += "<rect x=\"\(f(x))\" y=\"\(f(size.top + 2))\" width=\"10\" height=\"3\" fill=\"\(entry.1)\"/><text x=\"\(f(x + 13))\" y=\"\(f(size.top + 7))\" font-size=\"10\" fill=\"#333\">\(entry.0)</text>"
                    x += 18 + Double(entry.0.count) * 6
                    if x > size.width - 60 { break }
                }
            }
        }
        let caption = size.width < 600 ? "Time (\(zone.identifier))" : "Time (\(zone.identifier)); hover for values"
        return frame(size, title: title, yUnit: kilo ? "Power (kW)" : "Power (W)", yMax: yMax, yStep: yStep, kilo: kilo,
                     xTicks: timeTicks(from: from, to: to, zone: zone, size: size), xCaption: caption, content: content, legend: legend,
                     className: "power-chart")
    }

    /// Transparent vertical bands over the plot; each band's `<title>` names its time, the
    /// total and every sensor's power at the reading nearest its middle.
    static func hoverBands(
        total: [(at: EpochMillis, power: Double)], sensors: [Series], from: EpochMillis, to: EpochMillis, zone: TimeZoneRules, size: Size
    ) -> HTML {
        let bands = size.hoverBands
        let bandWidth = size.plotWidth / Double(bands)
        let spanMillis = Double(to - from)
        var out: HTML = "<g class=\"hover\" fill=\"transparent\">"
        var cursors = [Int](repeating: 0, count: sensors.count)
        var totalCursor = 0
        func nearest(_ points: [(at: EpochMillis, power: Double)], _ cursor: inout Int, _ t: EpochMillis) -> (at: EpochMillis, power: Double)? {
            guard !points.isEmpty else { return nil }
            while cursor + 1 < points.count && abs(points[cursor + 1].at - t) <= abs(points[cursor].at - t) { cursor += 1 }
            return points[cursor]
        }
        for band in 0..<bands {
            let middle = from + EpochMillis((Double(band) + 0.5) * spanMillis / Double(bands))
            guard let point = nearest(total, &totalCursor, middle), abs(point.at - middle) <= EpochMillis(spanMillis / Double(bands)) else { continue }
            var text = "\(TimeFormat.local(point.at, in: zone)): total \(Units.power(point.power))"
            for index in sensors.indices {
                if let value = nearest(sensors[index].points, &cursors[index], point.at), value.at == point.at {
                    text += ", \(sensors[index].name) \(Units.power(value.power))"
                }
            }
            out += "<rect x=\"\(f(size.left + Double(band) * bandWidth))\" y=\"\(f(size.top))\" width=\"\(f(bandWidth))\" height=\"\(f(size.plotHeight))\"><title>\(text)</title></rect>"
        }
        return out + "</g>"
    }

    /// Energy per day as bars, each with its value as a `<title>`.
    static func energyBars(_ days: [DayReport], zone: TimeZoneRules, title: String, size: Size = .wide) -> HTML {
        let peak = days.map(\.energy).max() ?? 0
        let kilo = peak >= 10_000
        let (yMax, yStep) = niceScale(max(peak, 10))
        let slot = size.plotWidth / Double(max(days.count, 1))
        var bars = HTML()
        var ticks: [(Double, String)] = []
        let every = max(1, Int((Double(days.count) / Double(size.dayLabels)).rounded(.up)))
        for (index, day) in days.enumerated() {
            let barHeight = max(0, day.energy) / yMax * size.plotHeight
            let x = size.left + Double(index) * slot + slot * 0.15
            bars += "<rect x=\"\(f(x))\" y=\"\(f(size.top + size.plotHeight - barHeight))\" width=\"\(f(slot * 0.7))\" height=\"\(f(barHeight))\" fill=\"#f2a900\"><title>\(day.day): \(Units.energy(day.energy))</title></rect>"
            if index % every == 0 { ticks.append(((Double(index) + 0.5) / Double(max(days.count, 1)), String(day.day.suffix(5)))) }
        }
        return frame(size, title: title, yUnit: kilo ? "Energy (kWh)" : "Energy (Wh)", yMax: yMax, yStep: yStep, kilo: kilo,
                     xTicks: ticks, xCaption: "Day (\(zone.identifier))", content: bars, className: "energy-chart")
    }

    /// Both sizes in one box: CSS shows the narrow drawing on phones and the wide one elsewhere.
    static func responsive(_ draw: (Size) -> HTML) -> HTML {
        "<div class=\"wide\">\(draw(.wide))</div><div class=\"narrow\">\(draw(.narrow))</div>"
    }
}
