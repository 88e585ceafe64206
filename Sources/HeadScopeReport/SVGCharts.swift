import Foundation

/// Inline SVG charts: no script, no external font or file, so the report renders anywhere.
/// Every mark carries a `<title>` with its exact value (shown on hover by browsers).
enum SVGCharts {
    /// One horizontal bar, optionally with an interval whisker.
    struct Bar {
        var label: String
        var value: Double
        var low: Double? = nil
        var high: Double? = nil
        var color: String = SVGColor.categorical(0)
        /// Hover text; defaults to label and value.
        var note: String? = nil
    }

    private static func esc(_ s: String) -> String { ReportFormat.escape(s) }
    private static func n(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A horizontal bar chart; `range` is the value axis (a zero line is drawn inside it).
    static func bars(_ bars: [Bar], range: ClosedRange<Double>, title: String, axis: String,
                     labelWidth: Double = 240, plotWidth: Double = 360, ticks: [Double]? = nil) -> String {
        let rowHeight = 22.0, top = 30.0, bottom = 34.0
        let height = top + Double(max(bars.count, 1)) * rowHeight + bottom
        let width = labelWidth + plotWidth + 20
        let span = max(range.upperBound - range.lowerBound, 1e-12)
        func x(_ v: Double) -> Double { labelWidth + (min(max(v, range.lowerBound), range.upperBound) - range.lowerBound) / span * plotWidth }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" class=\"chart\">"
        svg += "<title>\(esc(title))</title><text x=\"4\" y=\"16\" class=\"t\">\(esc(title))</text>"
        let tickValues = ticks ?? niceTicks(range)
        for t in tickValues {
            svg += "<line x1=\"\(n(x(t)))\" y1=\"\(n(top - 4))\" x2=\"\(n(x(t)))\" y2=\"\(n(height - bottom + 4))\" class=\"grid\"/>"
            svg += "<text x=\"\(n(x(t)))\" y=\"\(n(height - bottom + 16))\" class=\"tick\" text-anchor=\"middle\">\(esc(tickLabel(t)))</text>"
        }
        svg += "<text x=\"\(n(labelWidth + plotWidth / 2))\" y=\"\(n(height - 4))\" class=\"axis\" text-anchor=\"middle\">\(esc(axis))</text>"
        let zero = x(range.contains(0) ? 0 : range.lowerBound)
        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowHeight
            let label = bar.label.count > 38 ? String(bar.label.prefix(37)) + "…" : bar.label
            svg += "<text x=\"\(n(labelWidth - 6))\" y=\"\(n(y + rowHeight / 2 + 4))\" class=\"lbl\" text-anchor=\"end\">\(esc(label))</text>"
            let note = bar.note ?? "\(bar.label): \(ReportFormat.fixed(bar.value))"
            if bar.value.isFinite {
                let x0 = min(zero, x(bar.value)), x1 = max(zero, x(bar.value))
                svg += "<rect x=\"\(n(x0))\" y=\"\(n(y + 4))\" width=\"\(n(max(x1 - x0, 1)))\" height=\"\(n(rowHeight - 8))\" fill=\"\(bar.color)\"><title>\(esc(note))</title></rect>"
            } else {
                svg += "<text x=\"\(n(zero + 4))\" y=\"\(n(y + rowHeight / 2 + 4))\" class=\"tick\">n/a</text>"
            }
            if let low = bar.low, let high = bar.high, low.isFinite, high.isFinite {
                let cy = y + rowHeight / 2
                svg += "<g class=\"whisker\"><title>\(esc(note))</title><line x1=\"\(n(x(low)))\" y1=\"\(n(cy))\" x2=\"\(n(x(high)))\" y2=\"\(n(cy))\"/>"
                svg += "<line x1=\"\(n(x(low)))\" y1=\"\(n(cy - 5))\" x2=\"\(n(x(low)))\" y2=\"\(n(cy + 5))\"/>"
                svg += "<line x1=\"\(n(x(high)))\" y1=\"\(n(cy - 5))\" x2=\"\(n(x(high)))\" y2=\"\(n(cy + 5))\"/></g>"
            }
        }
        if range.contains(0) {
            svg += "<line x1=\"\(n(zero))\" y1=\"\(n(top - 4))\" x2=\"\(n(zero))\" y2=\"\(n(height - bottom + 4))\" class=\"zero\"/>"
        }
        return svg + "</svg>"
    }

    /// A layers x heads heat map (layer 0 at the top). `diverging` centres the scale on 0 with
    /// `range.upperBound` as the largest magnitude; `outlined` cells (layer-major indices) get a frame.
    static func heatMap(_ values: [Double], layers: Int, heads: Int, range: ClosedRange<Double>, diverging: Bool = false,
                        outlined: Set<Int> = [], title: String, cell: Double = 13, valueName: String = "score",
                        outlineName: String = "functional head") -> String {
        let left = 34.0, top = 30.0, legend = 46.0
        let width = left + Double(heads) * cell + 10 + legend, height = top + Double(layers) * cell + 26
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(n(max(width, 200)))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(max(width, 200))) \(n(height))\" class=\"chart\">"
        svg += "<title>\(esc(title))</title><text x=\"2\" y=\"14\" class=\"t\">\(esc(title))</text>"
        func color(_ v: Double) -> String {
            if diverging { return SVGColor.diverging(v / max(abs(range.upperBound), 1e-12)) }
            return SVGColor.sequential((v - range.lowerBound) / max(range.upperBound - range.lowerBound, 1e-12))
        }
        for layer in 0..<layers {
            let y = top + Double(layer) * cell
            if layer % 5 == 0 { svg += "<text x=\"\(n(left - 4))\" y=\"\(n(y + cell - 3))\" class=\"tick\" text-anchor=\"end\">\(layer)</text>" }
            for head in 0..<heads {
                let index = layer * heads + head
                let v = index < values.count ? values[index] : .nan
                let frame = outlined.contains(index) ? " class=\"hl\"" : ""
                svg += "<rect x=\"\(n(left + Double(head) * cell))\" y=\"\(n(y))\" width=\"\(n(cell))\" height=\"\(n(cell))\" fill=\"\(color(v))\"\(frame)>"
                svg += "<title>layer \(layer), head \(head): \(valueName) \(ReportFormat.fixed(v, digits: 4))\(outlined.contains(index) ? " (\(outlineName))" : "")</title></rect>"
            }
        }
        for head in 0..<heads where heads <= 16 || head % 4 == 0 {
            svg += "<text x=\"\(n(left + (Double(head) + 0.5) * cell))\" y=\"\(n(top - 3))\" class=\"tick\" text-anchor=\"middle\">\(head)</text>"
        }
        svg += "<text x=\"\(n(left))\" y=\"\(n(height - 8))\" class=\"axis\">heads →, layers ↓</text>"
        // Legend: a vertical ramp with its end values.
        let lx = left + Double(heads) * cell + 12, steps = 20, lh = Double(layers) * cell
        for s in 0..<steps {
            let t = 1 - Double(s) / Double(steps - 1)
            let v = diverging ? (2 * t - 1) * range.upperBound : range.lowerBound + t * (range.upperBound - range.lowerBound)
            svg += "<rect x=\"\(n(lx))\" y=\"\(n(top + Double(s) * lh / Double(steps)))\" width=\"10\" height=\"\(n(lh / Double(steps) + 0.5))\" fill=\"\(color(v))\"/>"
        }
        let hi = diverging ? range.upperBound : range.upperBound, lo = diverging ? -range.upperBound : range.lowerBound
        svg += "<text x=\"\(n(lx + 13))\" y=\"\(n(top + 8))\" class=\"tick\">\(esc(tickLabel(hi)))</text>"
        svg += "<text x=\"\(n(lx + 13))\" y=\"\(n(top + lh))\" class=\"tick\">\(esc(tickLabel(lo)))</text>"
        return svg + "</svg>"
    }

    /// One line of a line chart.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var dashed = false
    }

    /// A line chart with markers and a legend; non-finite points break the line.
    static func lines(_ series: [Series], title: String, xLabel: String, yLabel: String,
                      yRange: ClosedRange<Double>? = nil, width: Double = 560, height: Double = 280) -> String {
        let left = 52.0, right = 170.0, top = 28.0, bottom = 40.0
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xr = (xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1)
        var yr = yRange ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
        if yr.upperBound - yr.lowerBound < 1e-9 { yr = (yr.lowerBound - 0.5)...(yr.upperBound + 0.5) }
        let pw = width - left - right, ph = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * pw }
        func py(_ y: Double) -> Double { top + (1 - (min(max(y, yr.lowerBound), yr.upperBound) - yr.lowerBound) / (yr.upperBound - yr.lowerBound)) * ph }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" class=\"chart\">"
        svg += "<title>\(esc(title))</title><text x=\"4\" y=\"16\" class=\"t\">\(esc(title))</text>"
        for t in niceTicks(yr) {
            svg += "<line x1=\"\(n(left))\" y1=\"\(n(py(t)))\" x2=\"\(n(left + pw))\" y2=\"\(n(py(t)))\" class=\"grid\"/>"
            svg += "<text x=\"\(n(left - 4))\" y=\"\(n(py(t) + 4))\" class=\"tick\" text-anchor=\"end\">\(esc(tickLabel(t)))</text>"
        }
        for t in niceTicks(xr) {
            svg += "<text x=\"\(n(px(t)))\" y=\"\(n(top + ph + 14))\" class=\"tick\" text-anchor=\"middle\">\(esc(tickLabel(t)))</text>"
        }
        if yr.contains(0) { svg += "<line x1=\"\(n(left))\" y1=\"\(n(py(0)))\" x2=\"\(n(left + pw))\" y2=\"\(n(py(0)))\" class=\"zero\"/>" }
        svg += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(pw))\" height=\"\(n(ph))\" class=\"frame\"/>"
        svg += "<text x=\"\(n(left + pw / 2))\" y=\"\(n(height - 6))\" class=\"axis\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        svg += "<text x=\"12\" y=\"\(n(top + ph / 2))\" class=\"axis\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(n(top + ph / 2)))\">\(esc(yLabel))</text>"
        for (i, s) in series.enumerated() {
            var segments: [[(Double, Double)]] = [[]]
            for p in s.points {
                if p.x.isFinite && p.y.isFinite { segments[segments.count - 1].append((px(p.x), py(p.y))) } else if !(segments.last ?? []).isEmpty { segments.append([]) }
            }
            let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
            for segment in segments where segment.count > 1 {
                svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(dash) points=\"\(segment.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\"/>"
            }
            for p in s.points where p.x.isFinite && p.y.isFinite {
                svg += "<circle cx=\"\(n(px(p.x)))\" cy=\"\(n(py(p.y)))\" r=\"2.6\" fill=\"\(s.color)\"><title>\(esc(s.name)): \(esc(tickLabel(p.x))) → \(ReportFormat.fixed(p.y))</title></circle>"
            }
            let ly = top + 6 + Double(i) * 16
            svg += "<line x1=\"\(n(left + pw + 10))\" y1=\"\(n(ly))\" x2=\"\(n(left + pw + 30))\" y2=\"\(n(ly))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>"
            let name = s.name.count > 24 ? String(s.name.prefix(23)) + "…" : s.name
            svg += "<text x=\"\(n(left + pw + 34))\" y=\"\(n(ly + 4))\" class=\"tick\">\(esc(name))</text>"
        }
        return svg + "</svg>"
    }

    /// About five round tick values inside `range`.
    static func niceTicks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var t = (range.lowerBound / step).rounded(.up) * step
        while t <= range.upperBound + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }

    static func tickLabel(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
        let text = String(format: "%.3f", x)
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
