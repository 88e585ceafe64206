import Foundation
import HeadScopeCore

extension ReportPage {
    /// Every stage's manifest (stage, tool version, configuration, inputs, timestamps, counts),
    /// the files each section read, and whether the recorded inputs are this run's artifacts.
    func provenanceSection() -> String {
        var out = "<p>Each section above names the files its numbers were read from. Below: the manifest of every stage, "
            + "and a check that the inputs each stage recorded (by SHA-256) are the artifacts now in this run.</p>\n"
        let chain = ChainCheck(artifacts)
        out += "<h3>Input chain</h3>\n"
        if chain.links.isEmpty {
            out += "<p>No stage recorded inputs inside this run.</p>\n"
        } else {
            out += HTML.table(header: ["stage", "input", "file in this run", "recorded sha256", "found", "match"],
                              rows: chain.links.map { link in
                                  [HTML.escape(link.stage), HTML.escape(link.role), "<code>\(HTML.escape(link.path))</code>",
                                   "<code title=\"\(HTML.escape(link.recorded))\">\(HTML.escape(ReportFormat.shortHash(link.recorded)))</code>",
                                   "<code title=\"\(HTML.escape(link.found ?? ""))\">\(HTML.escape(link.found.map(ReportFormat.shortHash) ?? "missing"))</code>",
                                   link.matches ? "<span class=\"ok-answer\" data-key=\"match\">yes</span>" : "<span class=\"bad-answer\" data-key=\"match\">NO: re-run the stage</span>"]
                              },
                              rowAttributes: chain.links.map { "data-table=\"chain\" data-stage=\"\($0.stage)\" data-role=\"\(HTML.escape($0.role))\"" },
                              id: "chain", numericFrom: 99)
        }
        let sources: [String: [String]] = [
            "prepare": artifacts.dataset.loaded?.sources ?? [], "extract": artifacts.extraction.loaded?.sources ?? [],
            "probe": artifacts.probes.loaded?.sources ?? [], "intervene": artifacts.interventions.loaded?.sources ?? [],
            "attribute": artifacts.attribution.loaded?.sources ?? [],
        ]
        for (stage, directory, manifest) in artifacts.stages {
            out += "<h3>\(HTML.escape(stage)) <small><code>\(HTML.escape(layout.display(directory)))/manifest.json</code></small></h3>\n"
            guard let manifest else {
                out += "<p class=\"missing\" data-missing=\"\(stage)\">No finished manifest: run <code>make \(stage)</code>.</p>\n"
                continue
            }
            out += provenance(of: manifest, stage: stage, sources: sources[stage] ?? [])
        }
        return out
    }

    func provenance(of manifest: Manifest, stage: String, sources: [String]) -> String {
        var out = "<table data-table=\"manifest\" data-stage=\"\(stage)\"><tbody>"
        out += "<tr><th>stage</th><td>\(HTML.escape(manifest.stage))</td></tr>"
        out += "<tr><th>tool version</th><td>\(HTML.escape(manifest.toolVersion))</td></tr>"
        out += "<tr><th>started</th><td>\(HTML.escape(Manifest.timestamp(manifest.startedAt)))</td></tr>"
        out += "<tr><th>finished</th><td>\(HTML.escape(manifest.finishedAt.map(Manifest.timestamp) ?? "never"))</td></tr>"
        out += "<tr><th>read by the report</th><td>\(sources.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: "<br>"))</td></tr>"
        out += "</tbody></table>\n"
        out += HTML.table(header: ["input role", "path", "sha256", "bytes", "manifest sha256"],
                          rows: manifest.inputs.map { input in
                              [HTML.escape(input.role), "<code>\(HTML.escape(input.path))</code>",
                               "<code title=\"\(HTML.escape(input.sha256))\">\(HTML.escape(ReportFormat.shortHash(input.sha256)))</code>",
                               "\(input.bytes)", input.manifestSHA256.map { "<code title=\"\($0)\">\(HTML.escape(ReportFormat.shortHash($0)))</code>" } ?? ""]
                          }, numericFrom: 3)
        if !manifest.counts.isEmpty {
            out += "<details><summary>counts (\(manifest.counts.count))</summary><pre>"
            out += HTML.escape(manifest.counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n"))
            out += "</pre></details>\n"
        }
        let configuration = (try? JSONValue.encode(manifest.configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "\(manifest.configuration)"
        out += "<details><summary>configuration</summary><pre>\(HTML.escape(configuration))</pre></details>\n"
        if !manifest.notes.isEmpty {
            out += "<details><summary>notes (\(manifest.notes.count))</summary><pre>\(HTML.escape(manifest.notes.joined(separator: "\n")))</pre></details>\n"
        }
        return out
    }
}
