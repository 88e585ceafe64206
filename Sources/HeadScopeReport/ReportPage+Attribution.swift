import Foundation
import HeadScopeAttribute

extension ReportPage {
    /// Head attribution heat map, faithfulness/completeness curves and the knockout flow.
    func attributionSection() -> String {
        guard let loaded = artifacts.attribution.loaded else { return missingOf(artifacts.attribution).map(missingBox) ?? "" }
        let summary = loaded.value.summary
        let grid = summary.grid
        var out = "<div class=\"explain\">Each image's question is answered many times with random sets of heads cut off "
            + "from the image (their keys and values at image positions replaced by a \(HTML.escape(summary.baseline.rawValue)) "
            + "baseline); a linear fit of the answer's \(HTML.escape(summary.outcome.rawValue)) on which heads kept the image "
            + "gives each head an <em>attribution</em> (red: keeping the head's image access raises the answer, blue: lowers "
            + "it). The curves check the ranking: <em>faithfulness</em> (solid) is how much of the answer survives when only "
            + "the top-n heads see the image, <em>completeness</em> (dashed) how much is lost when those heads are cut; "
            + "a good ranking rises fast on both. The flow chart cuts attention edges between token groups inside the top "
            + "heads, a few layers at a time: where the answer logit drops shows where that information reaches the final "
            + "token.</div>\n"
        out += "<p>\(summary.images.count) images, \(summary.modelRuns) model runs; mean held-out correlation of the fit "
            + "\(HTML.number("mean_held_out_correlation", ReportFormat.fixed(summary.meanHeldOutCorrelation))) "
            + "(how well the linear fit predicts masks it did not see; near 0 means the attributions are noise).</p>\n"
        let magnitude = summary.meanAttribution.filter(\.isFinite).map(abs).max() ?? 1
        let top = Set(summary.topHeads.map { grid.index(of: $0) })
        out += "<div class=\"grid-figs\">"
        out += HTML.figure(SVGCharts.heatMap(summary.meanAttribution, layers: grid.layers, heads: grid.heads,
                                             range: 0...max(magnitude, 1e-9), diverging: true, outlined: top,
                                             title: "Mean attribution (\(summary.outcome.rawValue))", valueName: "attribution",
                                             outlineName: "top head"),
                           caption: "Mean coefficient over images; red frames: the overall top heads.")
        var curveSeries: [SVGCharts.Series] = []
        let rankings = summary.curves.map(\.ranking).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for curve in summary.curves {
            let colour = SVGColor.categorical(rankings.firstIndex(of: curve.ranking) ?? 0)
            curveSeries.append(.init(name: "\(curve.ranking) \(curve.kind == "faithfulness" ? "faith." : "compl.")",
                                     points: zip(curve.sizes, curve.normalised).map { (Double($0), $1) },
                                     color: colour, dashed: curve.kind != "faithfulness"))
        }
        if !curveSeries.isEmpty {
            out += HTML.figure(SVGCharts.lines(curveSeries, title: "Faithfulness and completeness", xLabel: "heads in the set (n)",
                                               yLabel: "normalised score"),
                               caption: "Solid: faithfulness (only the top-n keep the image); dashed: completeness (the top-n lose it). Normalised: 0 = every head cut, 1 = none.")
        }
        let flowSeries = summary.flows.enumerated().map { i, flow in
            SVGCharts.Series(name: flow.edge.description, points: zip(flow.layerStarts, flow.meanLogitDrop).map { (Double($0), $1) },
                             color: SVGColor.categorical(i), dashed: i >= SVGColor.categorical.count)
        }
        if !flowSeries.isEmpty {
            out += HTML.figure(SVGCharts.lines(flowSeries, title: "Attention knockout", xLabel: "first layer of the window",
                                               yLabel: "mean logit drop"),
                               caption: "Edges `from->to`: queries in `to` stop seeing keys in `from` inside the top heads for a window of layers.")
        }
        out += "</div>\n" + HTML.source(loaded.sources.map { $0 + " (mean_attribution, top_heads, curves, flows)" })
        out += "<h3>Curves</h3>\n"
        out += HTML.table(header: ["ranking", "kind"] + (summary.curves.first?.sizes.map { "n=\($0)" } ?? []),
                          rows: summary.curves.map { curve in
                              [HTML.escape(curve.ranking), HTML.escape(curve.kind)] + curve.normalised.map { HTML.number("normalised", ReportFormat.fixed($0)) }
                          },
                          rowAttributes: summary.curves.map { "data-table=\"curves\" data-ranking=\"\(HTML.escape($0.ranking))\" data-kind=\"\(HTML.escape($0.kind))\"" },
                          numericFrom: 2)
        out += "<h3>Images</h3>\n"
        out += HTML.table(header: ["image", "answer", "class", "colour", "held-out correlation", "full margin", "top heads"],
                          rows: summary.images.map { image in
                              [HTML.escape(image.imageID), HTML.escape(image.answer), HTML.escape(image.tags["class"] ?? ""),
                               HTML.escape(image.tags["color"] ?? ""),
                               HTML.number("held_out_correlation", ReportFormat.fixed(image.heldOutCorrelation)),
                               HTML.number("full_margin", ReportFormat.fixed(Double(image.fullMargin))),
                               HTML.escape(image.topHeads.prefix(6).map { "L\($0.layer)H\($0.head)" }.joined(separator: " ")
                                           + (image.topHeads.count > 6 ? " …" : ""))]
                          },
                          rowAttributes: summary.images.map { "data-table=\"attribution-images\" data-image=\"\(HTML.escape($0.imageID))\"" },
                          numericFrom: 4)
        let g = summary.grouping
        out += "<h3>Class versus appearance</h3><p>Mean Jaccard overlap of images' top sets: same class, different colour "
            + "\(ReportFormat.fixed(g.sameClass ?? .nan)) (\(g.sameClassPairs) pairs); same colour, different class "
            + "\(ReportFormat.fixed(g.sameColor ?? .nan)) (\(g.sameColorPairs) pairs); neither \(ReportFormat.fixed(g.neither ?? .nan)) "
            + "(\(g.neitherPairs) pairs). n/a: no such pair among the images attributed.</p>\n"
        out += HTML.source(loaded.sources.map { $0 + " (images, curves, grouping)" })
        return out
    }
}
