import Foundation

/// Hand-written SVG bar charts: one bar per condition with its 95% interval as a whisker.
///
/// Plain SVG 1.1 with no scripts or external fonts, so the report stage can inline it and any
/// browser shows it; each bar carries a `<title>` with the exact numbers for hover.
public enum BarChart {
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Double
        public var low: Double
        public var high: Double
        /// Fill colour (`#rrggbb`).
        public var color: String
        public init(label: String, value: Double, low: Double, high: Double, color: String) {
            self.label = label; self.value = value; self.low = low; self.high = high; self.color = color
        }
    }

    /// Bar colours by condition kind: reference grey, the intervention blue, controls light.
    public static func color(for kind: InterventionCondition.Kind) -> String {
        switch kind {
        case .base, .chainBase: return "#9e9e9e"
        case .ablateTop, .chainAblate: return "#c0392b"
        case .steerTop: return "#2e86c1"
        case .steerRanks: return "#85c1e9"
        case .ablateRandom, .ablateBottom, .ablateOther: return "#f5b7b1"
        }
    }

    /// An SVG chart of `bars` on a 0...1 axis.
    public static func svg(title: String, axisLabel: String, bars: [Bar]) -> String {
        let barWidth = 34.0, gap = 14.0, left = 56.0, top = 40.0, plotHeight = 220.0, labelRoom = 150.0
        // Room on the right for the last rotated label, and for the title.
        let longest = Double(bars.map(\.label.count).max() ?? 0)
        let width = max(left + Double(max(bars.count, 1)) * (barWidth + gap) + gap + longest * 4.2,
                        left + Double(title.count) * 8.8)
        let height = top + plotHeight + labelRoom
        func y(_ v: Double) -> Double { top + plotHeight * (1 - min(max(v.isFinite ? v : 0, 0), 1)) }
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="11">
        <title>\(escape(title))</title>
        <text x="\(f(left))" y="20" font-size="14" font-weight="bold">\(escape(title))</text>
        <text transform="translate(14,\(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\(escape(axisLabel))</text>

        """
        for tick in stride(from: 0.0, through: 1.0001, by: 0.25) {
            s += "<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#e0e0e0\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", tick))</text>\n"
        }
        for (i, bar) in bars.enumerated() {
            let x = left + gap + Double(i) * (barWidth + gap)
            let value = bar.value.isFinite ? bar.value : 0
            s += "<g><title>\(escape(bar.label)): \(String(format: "%.3f", value)) [\(String(format: "%.3f", bar.low)), \(String(format: "%.3f", bar.high))]</title>"
            s += "<rect x=\"\(f(x))\" y=\"\(f(y(value)))\" width=\"\(f(barWidth))\" height=\"\(f(y(0) - y(value)))\" fill=\"\(bar.color)\"/>"
            let labelY = min(y(value), bar.high.isFinite ? y(bar.high) : y(value)) - 4
            s += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(labelY))\" text-anchor=\"middle\" font-size=\"9\">\(String(format: "%.2f", value))</text>"
            if bar.low.isFinite && bar.high.isFinite {
                let cx = x + barWidth / 2
                s += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(y(bar.low)))\" y2=\"\(f(y(bar.high)))\" stroke=\"#333\"/>"
                s += "<line x1=\"\(f(cx - 6))\" x2=\"\(f(cx + 6))\" y1=\"\(f(y(bar.low)))\" y2=\"\(f(y(bar.low)))\" stroke=\"#333\"/>"
                s += "<line x1=\"\(f(cx - 6))\" x2=\"\(f(cx + 6))\" y1=\"\(f(y(bar.high)))\" y2=\"\(f(y(bar.high)))\" stroke=\"#333\"/>"
            }
            let lx = x + barWidth / 2, ly = top + plotHeight + 10
            s += "<text transform=\"translate(\(f(lx)),\(f(ly))) rotate(55)\" text-anchor=\"start\">\(escape(bar.label))</text></g>\n"
        }
        s += "<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" stroke=\"#333\"/>\n</svg>\n"
        return s
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Charts of a summary: per function, the ablation conditions (agreement), the steering
    /// conditions (accuracy) and the chain conditions (accuracy of later steps), each file
    /// name with the bars it draws.
    public static func charts(for table: SummaryTable, slugs: [String: String]) -> [(name: String, svg: String)] {
        var functions: [String] = []
        for row in table.rows where !functions.contains(row.function) { functions.append(row.function) }
        var charts: [(String, String)] = []
        for function in functions {
            let rows = table.rows.filter { $0.function == function }
            let slug = slugs[function] ?? Slug.make(function)
            func bars(_ selected: [SummaryTable.Row], label: (SummaryTable.Row) -> String) -> [Bar] {
                selected.map { Bar(label: label($0), value: $0.value, low: $0.ciLow, high: $0.ciHigh, color: color(for: $0.kind)) }
            }
            let short: (SummaryTable.Row) -> String = { row in
                row.condition.components(separatedBy: "--").last ?? row.condition
            }
            // Several random seeds are drawn as their aggregate; a single seed as itself.
            let aggregated = rows.contains { $0.kind == .ablateRandom && $0.spread != nil }
            let ablations = rows.filter { $0.kind.isAblation && ($0.kind != .ablateRandom || ($0.spread != nil) == aggregated) }
            if !ablations.isEmpty {
                charts.append(("ablation-\(slug).svg", svg(title: "\(function): ablation (agreement with un-ablated answer)",
                                                           axisLabel: "agreement", bars: bars(ablations, label: short))))
            }
            let steering = rows.filter { $0.kind == .base || $0.kind == .steerTop || $0.kind == .steerRanks }
            if steering.contains(where: { $0.kind != .base }) {
                charts.append(("steering-\(slug).svg", svg(title: "\(function): steering (accuracy against gold)",
                                                           axisLabel: "accuracy", bars: bars(steering, label: short))))
            }
            let chains = rows.filter { $0.kind.isChain }
            if !chains.isEmpty {
                charts.append(("hierarchy-\(slug).svg", svg(title: "\(function): later steps along the chain (accuracy)",
                                                            axisLabel: "accuracy", bars: bars(chains, label: { row in
                    row.kind == .chainBase ? "no ablation (after \(row.lowFunction ?? ""))" : "ablate \(row.lowFunction ?? "")"
                }))))
            }
        }
        return charts
    }
}
