import Foundation
import HeadScopeCore

/// Builds the report's HTML page from a run's artifacts: one section per stage, each built by a
/// `ReportPage+<Section>.swift` extension, and a provenance section at the end.
public struct ReportPage: Sendable {
    public var artifacts: RunArtifacts
    /// When the report was made (shown in the header; the only non-deterministic content).
    public var generatedAt: Date

    public init(artifacts: RunArtifacts, generatedAt: Date = Date()) {
        self.artifacts = artifacts
        self.generatedAt = generatedAt
    }

    var layout: RunLayout { artifacts.layout }

    /// The whole document: inline CSS, inline SVG, images as data: URIs; no script, no network.
    public func html() throws -> String {
        let sections: [(id: String, title: String, body: String)] = [
            ("dataset", "Dataset", try datasetSection()),
            ("accuracy", "Model accuracy per function", accuracySection()),
            ("probes", "Probes and functional heads", probeSection()),
            ("interventions", "Interventions", interventionSection()),
            ("attribution", "Head attribution", attributionSection()),
            ("provenance", "Provenance", provenanceSection()),
        ]
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>HeadScope report: \(HTML.escape(layout.run.lastPathComponent))</title>
        <style>\(Self.css)</style></head>
        <body><header><h1>HeadScope report: <code>\(HTML.escape(layout.run.lastPathComponent))</code></h1>
        <p class="meta">Run directory <code>\(HTML.escape(layout.run.path))</code>; generated \(HTML.escape(Manifest.timestamp(generatedAt))) by HeadScope \(HTML.escape(ToolVersion.string)).</p>
        \(stageStrip())
        <nav>\(sections.map { "<a href=\"#\($0.id)\">\(HTML.escape($0.title))</a>" }.joined(separator: " · "))</nav></header>
        <main>

        """
        for section in sections {
            out += "<section id=\"\(section.id)\"><h2>\(HTML.escape(section.title))</h2>\n\(section.body)</section>\n"
        }
        return out + "</main></body></html>\n"
    }

    /// One badge per stage: done (with the finish time) or missing (with the command to run).
    func stageStrip() -> String {
        let missing: [String: Missing] = [
            "prepare": missingOf(artifacts.dataset), "extract": missingOf(artifacts.extraction),
            "probe": missingOf(artifacts.probes), "intervene": missingOf(artifacts.interventions),
            "attribute": missingOf(artifacts.attribution),
        ].compactMapValues { $0 }
        let badges = artifacts.stages.map { stage, _, manifest -> String in
            if let manifest, let finished = manifest.finishedAt {
                return "<span class=\"badge ok\" data-stage=\"\(stage)\" title=\"finished \(Manifest.timestamp(finished))\">\(stage) ✓</span>"
            }
            let remedy = missing[stage]?.remedy ?? ""
            return "<span class=\"badge no\" data-stage=\"\(stage)\" data-missing=\"\(stage)\" title=\"\(HTML.escape(remedy))\">\(stage): missing</span>"
        }
        return "<p class=\"stages\">" + badges.joined(separator: " ") + "</p>"
    }

    func missingOf<T>(_ artifact: StageArtifact<T>) -> Missing? {
        if case .missing(let missing) = artifact { return missing }
        return nil
    }

    /// The box a section shows instead of its content when its stage has not run.
    func missingBox(_ missing: Missing) -> String {
        "<div class=\"missing\" data-missing=\"\(HTML.escape(missing.stage))\"><strong>Stage <code>\(HTML.escape(missing.stage))</code> has not run for this pipeline</strong> "
            + "(\(HTML.escape(missing.reason))). To fill this section: \(HTML.escape(missing.remedy)), then <code>make report</code>.</div>\n"
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d1d1f;margin:0;background:#fafafa}
    header{background:#fff;border-bottom:1px solid #ddd;padding:12px 24px}h1{font-size:20px;margin:4px 0}
    main{padding:0 24px 40px;max-width:1280px}section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:18px 0;padding:6px 18px 14px}
    h2{font-size:18px;border-bottom:1px solid #eee;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
    nav a{margin-right:4px}.meta{color:#555;margin:2px 0}code{font-size:12px;background:#f3f3f3;padding:0 3px;border-radius:3px}
    table{border-collapse:collapse;margin:6px 0 4px;font-size:13px}th,td{border-bottom:1px solid #e6e6e6;padding:3px 8px;text-align:left;vertical-align:top}
    th{background:#f5f5f5}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    .source{color:#666;font-size:12px;margin:2px 0 12px}.missing{background:#fff4e5;border:1px solid #f0c36d;padding:8px 12px;border-radius:4px}
    .badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;margin-right:2px}.ok{background:#e3f4e6;color:#145a24}.no{background:#fdecea;color:#8a1c12}
    .grid-figs{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}figure{margin:6px 0}figcaption{font-size:12px;color:#555;max-width:560px}
    .chain{display:flex;gap:16px;align-items:flex-start;margin:10px 0;border-top:1px dashed #ddd;padding-top:10px}.chain img{width:180px;height:auto;border:1px solid #ccc;image-rendering:auto}
    .ok-answer{color:#145a24}.bad-answer{color:#a3190c}.harmful{color:#a3190c;font-weight:600}.helpful{color:#145a24;font-weight:600}
    .explain{background:#f4f8fc;border-left:3px solid #6a9fd4;padding:6px 12px;margin:8px 0;max-width:900px}
    details{margin:6px 0}summary{cursor:pointer;font-weight:600}pre{font-size:12px;background:#f6f6f6;padding:8px;overflow:auto;max-height:320px}
    svg.chart{font-family:system-ui,Helvetica,Arial,sans-serif;background:#fff}svg .t{font-size:13px;font-weight:600}svg .tick{font-size:10px;fill:#444}
    svg .lbl{font-size:11px;fill:#222}svg .axis{font-size:11px;fill:#333}svg .grid{stroke:#eee}svg .zero{stroke:#555;stroke-width:1}
    svg .frame{fill:none;stroke:#bbb}svg .whisker line{stroke:#222;stroke-width:1.3}svg rect.hl{stroke:#d00;stroke-width:1.6}
    """
}
