import Foundation
import HeadScopeIntervene

extension ReportPage {
    /// The intervention table per function, top-k against random-k, with interval charts.
    func interventionSection() -> String {
        guard let loaded = artifacts.interventions.loaded else { return missingOf(artifacts.interventions).map(missingBox) ?? "" }
        let interventions = loaded.value
        var out = "<div class=\"explain\"><strong>How to read this.</strong> For each function, its functional heads are "
            + "switched off (<code>ablate-top</code>) while the model answers that function's test subquestions it had right "
            + "without intervention; <em>agreement</em> is the share of answers that stay the same. The controls switch off "
            + "as many heads drawn at random from outside the top set (<code>ablate-random</code>, one row per seed and a "
            + "summary row), the lowest-ranked heads (<code>ablate-bottom</code>) or another function's heads. "
            + "<em>Delta</em> is the change against no intervention (agreement is 1 there by definition), with a 95% "
            + "bootstrap interval over main questions. A function's heads matter when the top-k delta is clearly negative "
            + "(<span class=\"harmful\">harmful</span>: the interval lies below 0) while the random-k delta is not. "
            + "Steering rows report accuracy against gold instead. Small test sets give wide intervals: "
            + "\"no effect\" there means \"not shown\", not \"shown to be absent\".</div>\n"
        out += "<h3>Top-k against random-k</h3>\n"
        var overview: [[String]] = [], attributes: [String] = []
        for function in interventions.functions {
            let rows = interventions.rows(of: function)
            guard let top = rows.first(where: { $0.kind == .ablateTop }) else { continue }
            let random = rows.first { $0.kind == .ablateRandom && $0.seeds != nil } ?? rows.first { $0.kind == .ablateRandom }
            overview.append([HTML.escape(function), HTML.number("n", "\(top.n)"), HTML.number("heads", "\(top.heads)"),
                             HTML.number("top_delta", ReportFormat.signed(top.delta)),
                             HTML.number("top_delta_ci", ReportFormat.interval(top.deltaCILow, top.deltaCIHigh, signed: true)),
                             verdict(top.verdict),
                             HTML.number("random_delta", random.map { ReportFormat.signed($0.delta) } ?? "n/a"),
                             HTML.number("random_delta_ci", random.map { ReportFormat.interval($0.deltaCILow, $0.deltaCIHigh, signed: true) } ?? "n/a"),
                             random.map { verdict($0.verdict) } ?? ""])
            attributes.append("data-table=\"intervention-overview\" data-function=\"\(HTML.escape(function))\"")
        }
        out += HTML.table(header: ["function", "n", "heads", "top-k delta", "95% interval", "verdict", "random-k delta", "interval", "verdict"],
                          rows: overview, rowAttributes: attributes, id: "intervention-overview")
        out += HTML.source(loaded.sources)
        out += "<h3>Every condition</h3>\n"
        for function in interventions.functions {
            let rows = interventions.rows(of: function)
            out += "<h3 id=\"intervene-\(ReportFormat.slug(function))\">\(HTML.escape(function))</h3>\n"
            out += HTML.table(
                header: ["condition", "heads", "n", "items", "metric", "value", "95% interval", "base", "delta", "delta interval", "verdict"],
                rows: rows.map { row in
                    [HTML.escape(row.condition), HTML.number("heads", "\(row.heads)"), HTML.number("n", "\(row.n)"),
                     HTML.number("items", "\(row.items)"), HTML.escape(row.metric), HTML.number("value", ReportFormat.fixed(row.value)),
                     HTML.number("value_ci", ReportFormat.interval(row.ciLow, row.ciHigh)), HTML.number("base", ReportFormat.fixed(row.baseValue)),
                     HTML.number("delta", ReportFormat.signed(row.delta)),
                     HTML.number("delta_ci", ReportFormat.interval(row.deltaCILow, row.deltaCIHigh, signed: true)), verdict(row.verdict)]
                },
                rowAttributes: rows.map { "data-table=\"interventions\" data-function=\"\(HTML.escape(function))\" data-condition=\"\(HTML.escape($0.condition))\"" },
                numericFrom: 1)
            // Random heads: the summary row over seeds when there is one, else the single seed's row.
            let hasAggregate = rows.contains { $0.kind == .ablateRandom && $0.seeds != nil }
            let charted = rows.filter {
                $0.kind != .base && $0.kind != .chainBase && ($0.kind != .ablateRandom || $0.seeds != nil || !hasAggregate)
            }
            let prefix = ReportFormat.slug(function) + "--"
            if !charted.isEmpty {
                let low = min(-0.2, charted.map { min($0.deltaCILow, $0.delta) }.filter(\.isFinite).min() ?? -1)
                let high = max(0.2, charted.map { max($0.deltaCIHigh, $0.delta) }.filter(\.isFinite).max() ?? 0.2)
                let bars = charted.map { row in
                    SVGCharts.Bar(label: row.condition.hasPrefix(prefix) ? String(row.condition.dropFirst(prefix.count)) : row.condition,
                                  value: row.delta, low: row.deltaCILow, high: row.deltaCIHigh,
                                  color: row.kind == .ablateTop ? "#D55E00" : row.kind == .ablateRandom ? "#0072B2" : "#999999",
                                  note: "\(row.condition): delta \(ReportFormat.signed(row.delta)) \(ReportFormat.interval(row.deltaCILow, row.deltaCIHigh, signed: true)), \(row.metric), n=\(row.n)")
                }
                out += HTML.figure(SVGCharts.bars(bars, range: (low.rounded(.down) == low ? low : floor(low * 10) / 10)...(ceil(high * 10) / 10),
                                                  title: "\(function): change against no intervention", axis: "delta (95% interval)"),
                                   caption: "Orange: its functional heads; blue: random heads (mean over seeds, whisker over seeds' intervals); grey: other controls, steering and chains.")
            }
        }
        out += HTML.source(loaded.sources)
        return out
    }

    func verdict(_ text: String) -> String {
        let css = text == "harmful" ? "harmful" : text == "helpful" ? "helpful" : ""
        return "<span class=\"\(css)\" data-key=\"verdict\">\(HTML.escape(text))</span>"
    }
}
