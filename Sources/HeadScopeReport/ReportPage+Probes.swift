import Foundation

extension ReportPage {
    /// Probe score heat maps per function, functional-head counts and the overlap of head sets.
    func probeSection() -> String {
        guard let loaded = artifacts.probes.loaded else { return missingOf(artifacts.probes).map(missingBox) ?? "" }
        let probes = loaded.value
        let report = probes.heads
        let stats = ProbeStatistics(probes)
        let score = report.rankBy.rawValue
        var out = "<div class=\"explain\">One logistic probe per (function, layer, head) tells that function's subquestions from "
            + "others using the head's output <code>z</code>; its held-out <code>\(HTML.escape(score))</code> is the head's score "
            + "(0.5 is chance on the balanced test set). Each function's <em>functional heads</em> are its top \(report.topK) heads "
            + "by that score; \"above threshold\" counts heads scoring above \(ReportFormat.fixed(report.threshold, digits: 2)). "
            + "Few probe rows (a function the model rarely answers correctly) make scores noisy.</div>\n"
        let rows = stats.lines.map { line -> [String] in
            let best = line.best.map { "L\($0.layer) H\($0.head)" } ?? "n/a"
            return [HTML.escape(line.function), HTML.number("functional_heads", "\(line.functionalHeads)"),
                    HTML.number("above_threshold", "\(line.aboveThreshold)"), HTML.number("min_score", ReportFormat.fixed(line.minScore)),
                    HTML.number("mean_score", ReportFormat.fixed(line.meanScore)), HTML.number("max_score", ReportFormat.fixed(line.maxScore)),
                    HTML.number("best_head", best), HTML.number("train_rows", "\(line.trainRows)"), HTML.number("test_rows", "\(line.testRows)")]
        }
        out += HTML.table(header: ["function", "functional heads", "above threshold", "min \(score)", "mean \(score)", "max \(score)",
                                   "best head", "train rows", "test rows"],
                          rows: rows, rowAttributes: stats.lines.map { "data-table=\"probes\" data-function=\"\(HTML.escape($0.function))\"" },
                          id: "probe-table")
        out += HTML.source(loaded.sources)
        let bars = stats.lines.enumerated().map { i, line in
            SVGCharts.Bar(label: line.function, value: Double(line.aboveThreshold), color: SVGColor.categorical(i),
                          note: "\(line.function): \(line.aboveThreshold) heads above \(report.threshold)")
        }
        let maxAbove = Double(stats.lines.map(\.aboveThreshold).max() ?? 1)
        out += HTML.figure(SVGCharts.bars(bars, range: 0...max(maxAbove, 1), title: "Heads above the probe threshold",
                                          axis: "heads scoring above \(ReportFormat.fixed(report.threshold, digits: 2))"),
                           caption: "A sparse set (few heads) is what the functional-head hypothesis predicts; many heads above threshold on few rows suggests overfitting.")
        out += "<h3>Scores per head (\(report.numLayers) layers x \(report.numHeads) heads)</h3>\n"
        out += "<p>\(HTML.escape(score)) of every head's probe, from 0.5 (pale) to 1 (dark); red frames: the function's "
            + "\(report.topK) functional heads. Hover a cell for its value.</p><div class=\"grid-figs\">\n"
        for set in report.functions {
            let outlined = Set(set.top.map { $0.layer * report.numHeads + $0.head })
            let svg = SVGCharts.heatMap(probes.scores[set.function] ?? [], layers: report.numLayers, heads: report.numHeads,
                                        range: 0.5...1, outlined: outlined, title: set.function, valueName: score)
            out += HTML.figure(svg, caption: "")
        }
        out += "</div>\n" + HTML.source([loaded.sources[1], loaded.sources[0]])
        out += "<h3>Overlap of functional-head sets</h3>\n"
        out += "<p>Cell: heads shared by the two functions' top sets (diagonal: the set size), shaded by the Jaccard index "
            + "|A ∩ B| / |A ∪ B| recorded by the probe stage (in brackets).</p>\n"
        let jaccardIndex = Dictionary(uniqueKeysWithValues: report.jaccardFunctions.enumerated().map { ($1, $0) })
        var matrix = "<table id=\"overlap\"><thead><tr><th></th>"
        for f in stats.functions { matrix += "<th class=\"num\" title=\"\(HTML.escape(f))\">\(HTML.escape(abbreviation(f)))</th>" }
        matrix += "</tr></thead><tbody>\n"
        for (i, f) in stats.functions.enumerated() {
            matrix += "<tr data-table=\"overlap\" data-function=\"\(HTML.escape(f))\"><th>\(HTML.escape(f))</th>"
            for (j, g) in stats.functions.enumerated() {
                var jaccard = Double.nan
                if let a = jaccardIndex[f], let b = jaccardIndex[g], a < report.jaccard.count, b < report.jaccard[a].count { jaccard = report.jaccard[a][b] }
                let colour = SVGColor.sequential(jaccard)
                matrix += "<td class=\"num\" data-other=\"\(HTML.escape(g))\" style=\"background:\(colour);color:\(SVGColor.text(on: colour))\" "
                    + "title=\"\(HTML.escape(f)) ∩ \(HTML.escape(g))\">\(HTML.number("shared", "\(stats.shared[i][j])")) "
                    + "(\(HTML.number("jaccard", ReportFormat.fixed(jaccard, digits: 2))))</td>"
            }
            matrix += "</tr>\n"
        }
        out += matrix + "</tbody></table>\n" + HTML.source([loaded.sources[0] + " (top, jaccard)"])
        return out
    }

    /// Initials of a label for narrow matrix headers (`Low-Level Vision Reception` → `LLVR`).
    func abbreviation(_ label: String) -> String {
        let words = label.split { $0 == " " || $0 == "-" }
        return words.count > 1 ? String(words.compactMap(\.first)).uppercased() : String(label.prefix(6))
    }
}
