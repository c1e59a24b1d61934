import TextFormat

/// Number formatting for people: "1 834 W", "15.2 kWh".
enum Units {
    static func power(_ watts: Double) -> String {
        abs(watts) >= 10_000 ? fixed(watts / 1000, 1) + " kW" : fixed(watts, 0) + " W"
    }

    static func energy(_ wh: Double) -> String {
        abs(wh) >= 10_000 ? fixed(wh / 1000, 1) + " kWh" : fixed(wh, 0) + " Wh"
    }

    static func optional(_ value: Double?, _ unit: String, digits: Int = 1) -> String {
        value.map { fixed($0, digits) + " " + unit } ?? "–"
    }
}
