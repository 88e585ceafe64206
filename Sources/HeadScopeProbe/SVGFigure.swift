import HeadScopeCore
import Foundation

/// Hand-written SVG for the probe figures: a few small helpers, no dependencies.
///
/// Figures are self-contained files (inline styles, no fonts to fetch) that browsers, the report
/// stage and image viewers all show the same way.
enum SVG {
    /// Escapes text for XML content and attribute values.
    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// A number with at most `digits` decimals and no trailing zeros (compact, locale-free).
    static func number(_ value: Double, digits: Int = 2) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    static func document(width: Double, height: Double, _ body: [String]) -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(number(width))\" height=\"\(number(height))\" "
                        + "viewBox=\"0 0 \(number(width)) \(number(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">",
                     "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"]
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                     stroke: String? = nil, strokeWidth: Double = 1, title: String? = nil) -> String {
        var s = "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(height))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"\(number(strokeWidth))\"" }
        guard let title else { return s + "/>" }
        return s + "><title>\(escape(title))</title></rect>"
    }

    static func text(_ content: String, x: Double, y: Double, anchor: String = "start",
                     size: Double? = nil, weight: String? = nil, rotate: Double? = nil) -> String {
        var s = "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\""
        if let size { s += " font-size=\"\(number(size))\"" }
        if let weight { s += " font-weight=\"\(weight)\"" }
        if let rotate { s += " transform=\"rotate(\(number(rotate)) \(number(x)) \(number(y)))\"" }
        return s + ">\(escape(content))</text>"
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#333") -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" stroke=\"\(stroke)\"/>"
    }

    /// A perceptually ordered colour scale (viridis, 9 stops) at `t` in [0, 1]; NaN is grey.
    static func color(_ t: Double) -> String {
        guard t.isFinite else { return "#cccccc" }
        let stops: [(Double, Double, Double)] = [
            (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
            (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
        ]
        let u = min(1, max(0, t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(u))
        let f = u - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func channel(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }
}

/// The per-function figures of the probe stage.
public enum ProbeFigures {
    /// A layers x heads heat map of `scores` (row-major `[layers * heads]`) on a fixed
    /// `[low, high]` colour scale, with axis labels, a colour bar, and the `highlighted` cells
    /// (the functional heads) outlined.
    public static func heatMap(title: String, scoreName: String, scores: [Double], layers: Int, heads: Int,
                               highlighted: Set<Int> = [], low: Double = 0.5, high: Double = 1) -> String {
        let cell = max(8, min(22, 560 / Double(max(layers, heads))))
        let left = 52.0, top = 40.0
        let gridWidth = cell * Double(heads), gridHeight = cell * Double(layers)
        let barX = left + gridWidth + 24, barWidth = 14.0
        let width = barX + barWidth + 56, height = top + gridHeight + 48
        var body: [String] = [SVG.text(title, x: left, y: 22, size: 14, weight: "bold")]
        for l in 0..<layers {
            for h in 0..<heads {
                let value = scores[l * heads + h]
                body.append(SVG.rect(x: left + Double(h) * cell, y: top + Double(l) * cell, width: cell, height: cell,
                                     fill: SVG.color((value - low) / (high - low)),
                                     title: "layer \(l), head \(h): \(scoreName) \(value.isFinite ? SVG.number(value, digits: 3) : "n/a")"))
            }
        }
        for index in highlighted.sorted() where index < layers * heads {
            let (l, h) = (index / heads, index % heads)
            body.append(SVG.rect(x: left + Double(h) * cell + 0.75, y: top + Double(l) * cell + 0.75,
                                 width: cell - 1.5, height: cell - 1.5, fill: "none", stroke: "#e8175d", strokeWidth: 1.5))
        }
        let step = max(1, Int((14 / cell).rounded(.up)))
        for l in stride(from: 0, to: layers, by: step) {
            body.append(SVG.text("\(l)", x: left - 6, y: top + (Double(l) + 0.5) * cell + 4, anchor: "end", size: 10))
        }
        for h in stride(from: 0, to: heads, by: step) {
            body.append(SVG.text("\(h)", x: left + (Double(h) + 0.5) * cell, y: top + gridHeight + 14, anchor: "middle", size: 10))
        }
        body.append(SVG.text("head", x: left + gridWidth / 2, y: top + gridHeight + 34, anchor: "middle"))
        body.append(SVG.text("layer", x: 16, y: top + gridHeight / 2, anchor: "middle", rotate: -90))
        // Colour bar: 40 slices from low (bottom) to high (top), five ticks.
        let slices = 40
        for i in 0..<slices {
            let t = (Double(i) + 0.5) / Double(slices)
            let y = top + gridHeight * (1 - Double(i + 1) / Double(slices))
            body.append(SVG.rect(x: barX, y: y, width: barWidth, height: gridHeight / Double(slices) + 0.5, fill: SVG.color(t)))
        }
        for i in 0...4 {
            let t = Double(i) / 4
            let y = top + gridHeight * (1 - t)
            body.append(SVG.line(x1: barX + barWidth, y1: y, x2: barX + barWidth + 4, y2: y))
            body.append(SVG.text(SVG.number(low + (high - low) * t, digits: 3), x: barX + barWidth + 7, y: y + 4, size: 10))
        }
        body.append(SVG.text(scoreName, x: barX, y: top - 8, size: 10))
        return SVG.document(width: width, height: height, body)
    }

    /// A bar chart of how many functional heads each layer holds.
    public static func layerHistogram(title: String, counts: [Int]) -> String {
        let left = 44.0, top = 40.0, plotHeight = 180.0
        let barWidth = max(6, min(24, 600 / Double(max(1, counts.count))))
        let plotWidth = barWidth * Double(counts.count)
        let maximum = max(1, counts.max() ?? 1)
        let width = left + plotWidth + 20, height = top + plotHeight + 46
        var body: [String] = [SVG.text(title, x: left, y: 22, size: 14, weight: "bold")]
        body.append(SVG.line(x1: left, y1: top + plotHeight, x2: left + plotWidth, y2: top + plotHeight))
        body.append(SVG.line(x1: left, y1: top, x2: left, y2: top + plotHeight))
        let tickStep = max(1, Int((Double(maximum) / 5).rounded(.up)))
        for v in stride(from: 0, through: maximum, by: tickStep) {
            let y = top + plotHeight * (1 - Double(v) / Double(maximum))
            body.append(SVG.line(x1: left - 4, y1: y, x2: left, y2: y))
            body.append(SVG.text("\(v)", x: left - 6, y: y + 4, anchor: "end", size: 10))
        }
        for (l, count) in counts.enumerated() {
            let h = plotHeight * Double(count) / Double(maximum)
            body.append(SVG.rect(x: left + Double(l) * barWidth + 1, y: top + plotHeight - h, width: barWidth - 2, height: h,
                                 fill: "#3b518b", title: "layer \(l): \(count) head(s)"))
        }
        let step = max(1, Int((16 / barWidth).rounded(.up)))
        for l in stride(from: 0, to: counts.count, by: step) {
            body.append(SVG.text("\(l)", x: left + (Double(l) + 0.5) * barWidth, y: top + plotHeight + 14, anchor: "middle", size: 10))
        }
        body.append(SVG.text("layer", x: left + plotWidth / 2, y: top + plotHeight + 34, anchor: "middle"))
        body.append(SVG.text("functional heads", x: 12, y: top + plotHeight / 2, anchor: "middle", rotate: -90))
        return SVG.document(width: width, height: height, body)
    }
}
