import Foundation

extension ReportPage {
    /// The judged accuracy per function label, from the extraction's rows.
    func accuracySection() -> String {
        guard let loaded = artifacts.extraction.loaded else { return missingOf(artifacts.extraction).map(missingBox) ?? "" }
        let extraction = loaded.value
        let stats = AccuracyStatistics(extraction, labels: artifacts.dataset.value?.labels ?? [])
        var out = "<p>Model <code>\(HTML.escape(extraction.modelID))</code> (\(extraction.layers) layers x \(extraction.heads) heads, "
            + "head dimension \(extraction.headDim)); every subquestion answered once with context policy "
            + "<code>\(HTML.escape(extraction.contextPolicy))</code> and judged by the deterministic judge. "
            + "Overall \(stats.overall.correct) of \(stats.overall.total) correct (\(ReportFormat.percent(stats.overall.accuracy))). "
            + "The probes train on the correctly answered rows only, so a function the model rarely gets right has few probe rows.</p>\n"
        let bars = stats.lines.enumerated().map { i, line in
            SVGCharts.Bar(label: "\(line.label) (n=\(line.total))", value: line.accuracy ?? .nan, color: SVGColor.categorical(i),
                          note: "\(line.label): \(line.correct)/\(line.total) correct")
        }
        out += HTML.figure(SVGCharts.bars(bars, range: 0...1, title: "Accuracy per function", axis: "share judged correct"),
                           caption: "Share of each function's subquestions the judge marked correct; n is the number of subquestions.")
        let rows = (stats.lines + [stats.overall]).map { line in
            [HTML.escape(line.label), HTML.number("correct", "\(line.correct)"), HTML.number("total", "\(line.total)"),
             HTML.number("accuracy", ReportFormat.fixed(line.accuracy ?? .nan))]
        }
        out += HTML.table(header: ["function", "correct", "subquestions", "accuracy"], rows: rows,
                          rowAttributes: (stats.lines + [stats.overall]).map { "data-table=\"accuracy\" data-function=\"\(HTML.escape($0.label))\"" },
                          id: "accuracy")
        out += HTML.source(loaded.sources)
        return out
    }
}
