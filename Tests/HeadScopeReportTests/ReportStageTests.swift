import Foundation
import HeadScopeCore
import HeadScopeReport
import Testing
import TestSupport

@Suite("headscope-report on partial and broken runs")
struct ReportStageTests {
    @Test("prepared only: label counts, kinds and splits are the data's; later stages are reported missing with their make target")
    func preparedOnly() throws {
        let synthetic = try SyntheticRun()
        let result = try TestSupport.run(try SyntheticRun.executable, ["--run", synthetic.run.path])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: synthetic.run.appendingPathComponent("report/index.html"), encoding: .utf8)
        // Counted from the literal items, independently of the report's statistics.
        var counts: [String: Int] = [:]
        for item in SyntheticRun.items { for f in item.steps { counts[f, default: 0] += 1 } }
        for label in SyntheticRun.labels {
            #expect(tableRow(html, table: "labels", key: "function", value: label) == "\(label)|\(counts[label] ?? -1)")
        }
        #expect(tableRow(html, table: "kinds", key: "kind", value: "count_left") == "count_left|2")
        #expect(tableRow(html, table: "kinds", key: "kind", value: "corners") == "corners|1")
        #expect(tableRow(html, table: "splits", key: "split", value: "train") == "train|2|5")
        #expect(tableRow(html, table: "splits", key: "split", value: "test") == "test|1|2")
        for stage in ["extract", "probe", "intervene", "attribute"] {
            #expect(html.contains("data-missing=\"\(stage)\""), "stage \(stage) not marked missing")
            #expect(html.contains("run `make \(stage)`"))
        }
        #expect(!html.contains("data-missing=\"prepare\""))
        // Example images are embedded byte for byte, and nothing is fetched from elsewhere.
        #expect(html.contains("src=\"data:image/png;base64,\(SyntheticRun.png.base64EncodedString())\""))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(!html.contains("https://"))
        // The summary is printed and written, and says what to run.
        let summary = try String(contentsOf: synthetic.run.appendingPathComponent("report/summary.txt"), encoding: .utf8)
        #expect(result.stdout == summary)
        #expect(summary.contains("run `make attribute`"))
        #expect(summary.contains("Math Reasoning                     3"))
        // The report's manifest names the prepared manifest by its hash.
        let manifest = try Manifest.load(stageDirectory: synthetic.run.appendingPathComponent("report"), expectingStage: "report")
        let recorded = manifest.inputs.first { $0.role == "prepare-manifest" }
        #expect(recorded?.sha256 == (try ContentHash.file(at: synthetic.prepared.appendingPathComponent("manifest.json"))))
        #expect(manifest.counts["stages_missing"] == 4)
    }

    @Test("a corrupt functional_heads.json stops the report with an error naming the file")
    func corruptProbeFile() throws {
        let synthetic = try SyntheticRun()
        let probes = try synthetic.stage("probes", stage: "probe")
        try "{\"schema_version\": \"headscope-functional-heads/1\", \"functions\": [".write(
            to: probes.appendingPathComponent("functional_heads.json"), atomically: true, encoding: .utf8)
        let result = try TestSupport.run(try SyntheticRun.executable, ["--run", synthetic.run.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(probes.path)/functional_heads.json: "), "\(result.stderr)")
        #expect(result.stderr.contains("re-run `make probe`"))
        #expect(!FileManager.default.fileExists(atPath: synthetic.run.appendingPathComponent("report/index.html").path))
    }

    @Test("a corrupt manifest is an error naming it; a manifest without finished_at is a missing stage")
    func manifests() throws {
        let synthetic = try SyntheticRun()
        let attribution = synthetic.run.appendingPathComponent("attribution")
        try FileManager.default.createDirectory(at: attribution, withIntermediateDirectories: true)
        try "not json".write(to: attribution.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let bad = try TestSupport.run(try SyntheticRun.executable, ["--run", synthetic.run.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(attribution.path)/manifest.json"), "\(bad.stderr)")

        var unfinished = Manifest(stage: "attribute")
        unfinished.finishedAt = nil
        try unfinished.save(inDirectory: attribution)
        let ok = try TestSupport.run(try SyntheticRun.executable, ["--run", synthetic.run.path, "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.isEmpty)
        let html = try String(contentsOf: synthetic.run.appendingPathComponent("report/index.html"), encoding: .utf8)
        #expect(html.contains("data-missing=\"attribute\""))
        #expect(html.contains("never finished"))
    }

    @Test("the input chain flags a stage whose recorded upstream manifest is not this run's")
    func chainMismatch() throws {
        let synthetic = try SyntheticRun()
        let manifestURL = synthetic.prepared.appendingPathComponent("manifest.json")
        let good = try Manifest.Input.hashing(role: "prepared-manifest", url: manifestURL)
        var stale = good
        stale.sha256 = String(repeating: "0", count: 64)
        try synthetic.stage("interventions", stage: "intervene", inputs: [good])
        try synthetic.stage("probes", stage: "probe", inputs: [stale])
        let layout = RunLayout(run: synthetic.run)
        let stages: [(stage: String, directory: URL, manifest: Manifest?)] = try [
            ("prepare", layout.prepared, Manifest.load(stageDirectory: layout.prepared)),
            ("probe", layout.probes, Manifest.load(stageDirectory: layout.probes)),
            ("intervene", layout.interventions, Manifest.load(stageDirectory: layout.interventions)),
        ]
        let check = ChainCheck(layout: layout, stages: stages)
        #expect(check.links.count == 2)
        let probe = check.links.first { $0.stage == "probe" }, intervene = check.links.first { $0.stage == "intervene" }
        #expect(probe?.path == "prepared/manifest.json")
        #expect(probe?.matches == false)
        #expect(intervene?.matches == true)
        #expect(intervene?.found == (try ContentHash.file(at: manifestURL)))
        #expect(!check.isConsistent)
    }

    @Test("no run given, both given, or a run directory that does not exist: clear errors")
    func arguments() throws {
        let executable = try SyntheticRun.executable
        let none = try TestSupport.run(executable, [])
        #expect(none.status != 0)
        #expect(none.stderr.contains("--config pipelines/<name>.yaml or --run runs/<name>"))
        let nowhere = try TestSupport.run(executable, ["--run", "/nonexistent/runs/x"])
        #expect(nowhere.status == 1)
        #expect(nowhere.stderr.contains("/nonexistent/runs/x: no run directory here"))
        let help = try TestSupport.run(executable, ["--help"])
        #expect(help.stdout.contains("--config") && help.stdout.contains("--run") && help.stdout.contains("--output"))
    }
}
