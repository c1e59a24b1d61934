import Foundation

/// One sample of the Prometheus text format: `name{label="value",...} 12.5`.
struct MetricSample: Sendable, Hashable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Reads the Prometheus text exposition format as the servers write it (comments skipped,
/// label values unescaped, timestamps ignored). Lines it cannot read are skipped: figures
/// are best effort, and one odd line must not hide the others.
enum PrometheusText {
    static func parse(_ text: String) -> [MetricSample] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix("#") ? nil : sample(Substring(line))
        }
    }

    static func sample(_ line: Substring) -> MetricSample? {
        var rest = line.drop { $0 == " " }
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while let first = rest.first, first != "}" {
                if first == "," || first == " " { rest = rest.dropFirst(); continue }
                let key = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                labels[String(key.trimmingCharacters(in: .whitespaces))] = value
            }
            guard rest.first == "}" else { return nil }
            rest = rest.dropFirst()
        }
        let fields = rest.split(separator: " ")
        guard let valueText = fields.first else { return nil }
        let value: Double?
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default: value = Double(valueText)
        }
        guard let value else { return nil }
        return MetricSample(name: String(name), labels: labels, value: value)
    }
}

extension Array where Element == MetricSample {
    /// The value of the sample `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        first { $0.name == name && $0.labels == labels }?.value
    }
}
