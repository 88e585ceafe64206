import Foundation
@testable import HeadScopeReport
import Testing

@Suite("report charts and formatting")
struct ChartTests {
    @Test("escaping covers markup and attribute quotes")
    func escaping() {
        #expect(ReportFormat.escape("<a href=\"x\">R&D's</a>") == "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;")
    }

    @Test("numbers: fixed, signed, intervals, percent, n/a for non-finite values")
    func numbers() {
        #expect(ReportFormat.fixed(0.8126) == "0.813")
        #expect(ReportFormat.fixed(2.0 / 3) == "0.667")
        #expect(ReportFormat.signed(-0.25) == "-0.250")
        #expect(ReportFormat.signed(0.125) == "+0.125")
        #expect(ReportFormat.interval(-0.5, 0.25, signed: true) == "[-0.500, +0.250]")
        #expect(ReportFormat.percent(5.0 / 12) == "41.7%")
        #expect(ReportFormat.fixed(.nan) == "n/a")
        #expect(ReportFormat.percent(nil) == "n/a")
        #expect(ReportFormat.slug("Low-Level Vision Reception") == "low-level-vision-reception")
    }

    @Test("a heat map has one cell per (layer, head), outlines exactly the given heads, and titles carry the values")
    func heatMap() {
        let values = (0..<12).map { Double($0) / 11 }
        let svg = SVGCharts.heatMap(values, layers: 4, heads: 3, range: 0...1, outlined: [2, 7], title: "t")
        #expect(svg.components(separatedBy: "<title>layer ").count - 1 == 12)
        #expect(svg.components(separatedBy: "class=\"hl\"").count - 1 == 2)
        #expect(svg.contains("<title>layer 2, head 1: score 0.6364 (functional head)</title>"))
        #expect(svg.contains("<title>layer 0, head 0: score 0.0000</title>"))
    }

    @Test("bars: whiskers span the interval on the axis; bar ends sit at the value")
    func bars() {
        let svg = SVGCharts.bars([.init(label: "top", value: -0.5, low: -0.75, high: -0.25)], range: -1...1, title: "d",
                                 axis: "delta", labelWidth: 100, plotWidth: 200)
        // x(v) = 100 + (v + 1) / 2 * 200: -0.5 → 150, 0 → 200, -0.75 → 125, -0.25 → 175.
        #expect(svg.contains("<rect x=\"150.0\" y=\"34.0\" width=\"50.0\""))
        #expect(svg.contains("<line x1=\"125.0\" y1=\"41.0\" x2=\"175.0\" y2=\"41.0\"/>"))
    }

    @Test("tick values are round and inside the range")
    func ticks() {
        let unit = SVGCharts.niceTicks(0...1)
        #expect(unit.count == 6)
        #expect(zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(unit.map(SVGCharts.tickLabel) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        #expect(SVGCharts.niceTicks(-1...0.5).allSatisfy { $0 >= -1 && $0 <= 0.5 })
        #expect(SVGCharts.niceTicks(0...30).contains(10))
    }

    @Test("colour scales: ends of the ramps, grey for NaN, white at zero of the diverging scale")
    func colours() {
        #expect(SVGColor.sequential(0) == "#ffffd9")
        #expect(SVGColor.sequential(1) == "#081d58")
        #expect(SVGColor.sequential(.nan) == "#dddddd")
        #expect(SVGColor.diverging(0) == "#f7f7f7")
        #expect(SVGColor.diverging(-5) == "#2166ac")
    }
}
