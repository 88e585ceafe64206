import Foundation

/// Hand-written SVG plots: a layer x head heat map and line charts. No dependencies; the output
/// is plain SVG 1.1 that browsers and the report stage embed as is.
public enum SVGPlots {
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.2f", x) }

    /// A diverging heat map of `values` (grid order: layer-major), rows = layers, columns = heads.
    /// Blue is negative, red positive, scaled by the largest magnitude.
    public static func heatMap(values: [Double], grid: HeadGrid, title: String) -> String {
        let cell = 18.0, left = 44.0, top = 36.0
        // Wide enough for the title and the footer line even with few heads.
        let w = max(left + Double(grid.heads) * cell + 20, 380), h = top + Double(grid.layers) * cell + 40
        let scale = max(values.filter(\.isFinite).map(abs).max() ?? 0, 1e-12)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" font-family=\"sans-serif\" font-size=\"10\">\n"
        s += "<text x=\"\(f(left))\" y=\"16\" font-size=\"12\">\(esc(title))</text>\n"
        for layer in 0..<grid.layers {
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(top + (Double(layer) + 0.7) * cell))\" text-anchor=\"end\">L\(layer)</text>\n"
            for head in 0..<grid.heads {
                let i = layer * grid.heads + head
                let v = i < values.count && values[i].isFinite ? values[i] / scale : 0
                let r = v > 0 ? 255 : Int(255 * (1 + v)), b = v < 0 ? 255 : Int(255 * (1 - v)), g = Int(255 * (1 - abs(v)))
                s += "<rect x=\"\(f(left + Double(head) * cell))\" y=\"\(f(top + Double(layer) * cell))\" width=\"\(f(cell - 1))\" height=\"\(f(cell - 1))\" fill=\"rgb(\(r),\(g),\(b))\"><title>L\(layer)H\(head): \(i < values.count ? String(format: "%.4g", values[i]) : "")</title></rect>\n"
            }
        }
        for head in 0..<grid.heads {
            s += "<text x=\"\(f(left + (Double(head) + 0.5) * cell))\" y=\"\(f(top - 4))\" text-anchor=\"middle\">\(head)</text>\n"
        }
        s += "<text x=\"\(f(left))\" y=\"\(f(h - 12))\">heads across, layers down; max |value| \(String(format: "%.4g", scale))</text>\n"
        return s + "</svg>\n"
    }

    /// One line of a chart.
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public var dashed: Bool
        public init(name: String, x: [Double], y: [Double], dashed: Bool = false) {
            self.name = name; self.x = x; self.y = y; self.dashed = dashed
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// A line chart with axes, ticks and a legend; non-finite points are skipped.
    public static func lineChart(series: [Series], title: String, xLabel: String, yLabel: String) -> String {
        let w = 560.0, h = 340.0, left = 60.0, right = 170.0, top = 30.0, bottom = 44.0
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        var x0 = xs.min() ?? 0, x1 = xs.max() ?? 1, y0 = min(ys.min() ?? 0, 0), y1 = max(ys.max() ?? 1, 0)
        if x1 - x0 < 1e-12 { x0 -= 0.5; x1 += 0.5 }
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        // A little headroom so lines at the extremes stay off the frame.
        let pad = 0.05 * (y1 - y0)
        y1 += pad
        if y0 < 0 { y0 -= pad }
        let pw = w - left - right, ph = h - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" font-family=\"sans-serif\" font-size=\"10\">\n"
        s += "<text x=\"\(f(left))\" y=\"18\" font-size=\"12\">\(esc(title))</text>\n"
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#999\"/>\n"
        if y0 < 0 && y1 > 0 { s += "<line x1=\"\(f(left))\" x2=\"\(f(left + pw))\" y1=\"\(f(py(0)))\" y2=\"\(f(py(0)))\" stroke=\"#ccc\"/>\n" }
        for i in 0...4 {
            let yv = y0 + (y1 - y0) * Double(i) / 4
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(py(yv) + 3))\" text-anchor=\"end\">\(String(format: "%.3g", yv))</text>\n"
        }
        // x ticks: every integer when x is integral over a short range (layers, set sizes), else five.
        let integral = xs.allSatisfy { $0 == $0.rounded() } && x1 - x0 <= 16
        let xTicks = integral ? Array(Swift.stride(from: x0, through: x1, by: 1)) : (0...4).map { x0 + (x1 - x0) * Double($0) / 4 }
        for xv in xTicks {
            s += "<text x=\"\(f(px(xv)))\" y=\"\(f(top + ph + 14))\" text-anchor=\"middle\">\(String(format: "%.3g", xv))</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(h - 8))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(14 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for (i, line) in series.enumerated() {
            let color = palette[i % palette.count]
            let pts = zip(line.x, line.y).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(f(px($0.0))),\(f(py($0.1)))" }
            if !pts.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(line.dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(pts.joined(separator: " "))\"><title>\(esc(line.name))</title></polyline>\n"
            }
            let ly = top + 12 + Double(i) * 14
            s += "<line x1=\"\(f(left + pw + 10))\" x2=\"\(f(left + pw + 30))\" y1=\"\(f(ly - 3))\" y2=\"\(f(ly - 3))\" stroke=\"\(color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5 3\"" : "")/>\n"
            s += "<text x=\"\(f(left + pw + 34))\" y=\"\(f(ly))\">\(esc(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }
}
