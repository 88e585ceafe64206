import Foundation
import HeadScopeCore
import HeadScopeHDF5
import HeadScopeReport
import Testing
import TestSupport

/// Probe, intervention and attribution artifacts written by hand (2 layers x 3 heads), so every
/// number the report should show is known here without running the model or the stages.
@Suite("report sections of the later stages")
struct LaterStageSectionTests {
    /// Probe recall grids, layer-major.
    static let recall: [String: [Double]] = [
        "Math Reasoning": [0.5, 0.625, 0.75, 0.875, 1.0, 0.25],
        "Inference": [0.9, 0.1, 0.2, 0.3, 0.95, 0.4],
    ]

    func writeProbes(_ synthetic: SyntheticRun) throws {
        let probes = try synthetic.stage("probes", stage: "probe")
        let file = try HDF5File.create(probes.appendingPathComponent("scores.h5").path)
        for (slug, function) in [("math-reasoning", "Math Reasoning"), ("inference", "Inference")] {
            let group = try file.root.createGroup("probes/\(slug)")
            try group.attributes.write("function", function)
            _ = try group.createDataset("recall", values: Self.recall[function] ?? [], shape: [2, 3])
        }
        try file.close()
        // Top sets of 2 (the two best heads of each grid); above 0.85: Math 2 heads, Inference 2.
        let json = """
        {"schema_version": "headscope-functional-heads/1", "rank_by": "recall", "top_k": 2, "threshold": 0.85,
         "num_layers": 2, "num_heads": 3,
         "functions": [
          {"function": "Math Reasoning", "top": [{"layer": 1, "head": 1, "score": 1.0}, {"layer": 1, "head": 0, "score": 0.875}],
           "above_threshold": [{"layer": 1, "head": 1, "score": 1.0}, {"layer": 1, "head": 0, "score": 0.875}],
           "layer_histogram": [0, 2], "sparsity": {}, "mean_score": null, "mean_permutation_score": null,
           "train_rows": 12, "test_rows": 4},
          {"function": "Inference", "top": [{"layer": 1, "head": 1, "score": 0.95}, {"layer": 0, "head": 0, "score": 0.9}],
           "above_threshold": [{"layer": 1, "head": 1, "score": 0.95}, {"layer": 0, "head": 0, "score": 0.9}],
           "layer_histogram": [1, 1], "sparsity": {}, "mean_score": null, "mean_permutation_score": null,
           "train_rows": 10, "test_rows": 2}],
         "jaccard_functions": ["Math Reasoning", "Inference"], "jaccard": [[1, 0.3333333], [0.3333333, 1]]}
        """
        try json.write(to: probes.appendingPathComponent("functional_heads.json"), atomically: true, encoding: .utf8)
    }

    func writeInterventions(_ synthetic: SyntheticRun) throws {
        let directory = try synthetic.stage("interventions", stage: "intervene")
        func row(_ condition: String, _ kind: String, value: Double, delta: Double, low: Double, high: Double, verdict: String,
                 seeds: String = "") -> String {
            """
            {"function": "Math Reasoning", "condition": "\(condition)", "kind": "\(kind)", "metric": "agreement", "n": 8, "items": 3,
             "value": \(value), "ci_low": \(value - 0.1), "ci_high": \(min(value + 0.1, 1)), "accuracy": 0.5, "base_value": 1,
             "delta": \(delta), "delta_ci_low": \(low), "delta_ci_high": \(high), "verdict": "\(verdict)", "heads": 2\(seeds)}
            """
        }
        let rows = [
            row("math-reasoning--ablate-top", "ablate-top", value: 0.375, delta: -0.625, low: -0.875, high: -0.25, verdict: "harmful"),
            row("math-reasoning--ablate-random-s42", "ablate-random", value: 1, delta: 0, low: 0, high: 0, verdict: "no effect", seeds: ", \"seed\": 42"),
            row("math-reasoning--ablate-random-s43", "ablate-random", value: 0.75, delta: -0.25, low: -0.5, high: 0, verdict: "no effect", seeds: ", \"seed\": 43"),
            row("ablate-random (2 seeds)", "ablate-random", value: 0.875, delta: -0.125, low: -0.5, high: 0, verdict: "no effect",
                seeds: ", \"seeds\": [42, 43], \"spread\": {\"mean\": 0.875, \"std\": 0.125, \"min\": 0.75, \"max\": 1}"),
        ]
        try "{\"rows\": [\(rows.joined(separator: ","))], \"bootstrap_samples\": 200, \"seed\": 42}"
            .write(to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    }

    func writeAttribution(_ synthetic: SyntheticRun) throws {
        let directory = try synthetic.stage("attribution", stage: "attribute")
        let json = """
        {"model": {"id": "m", "sha256": "00"}, "grid": {"layers": 2, "heads": 3}, "outcome": "logit", "baseline": "mean",
         "baseline_images": ["img-a"], "mean_attribution": [0.5, -0.25, 0, 0.125, 1.5, -1],
         "mean_held_out_correlation": 0.4376, "top_heads": [{"layer": 1, "head": 1}],
         "images": [{"image_id": "img-a", "answer": "star", "tags": {"class": "star", "color": "red"},
                     "held_out_correlation": 0.4376, "full_margin": 2.5, "top_heads": [{"layer": 1, "head": 1}]}],
         "curves": [{"ranking": "regression", "kind": "faithfulness", "sizes": [0, 1, 6], "normalised": [0, 0.75, 1], "answer_rate": [0, 1, 1]},
                    {"ranking": "regression", "kind": "completeness", "sizes": [0, 1, 6], "normalised": ["nan", 0.5, 1], "answer_rate": [0, 0, 1]}],
         "flows": [{"edge": {"from": "object", "to": "final"}, "layer_starts": [0, 1], "mean_logit_drop": [0.25, 2.0]}],
         "grouping": {"same_class": null, "same_color": null, "neither": null, "same_class_pairs": 0, "same_color_pairs": 0, "neither_pairs": 0},
         "attribution_by_class": {}, "attribution_by_color": {}, "model_runs": 123}
        """
        try json.write(to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    }

    @Test("probe table: set sizes, threshold counts, min/mean/max and best head of each grid; overlap counts shared heads")
    func probes() throws {
        let synthetic = try SyntheticRun()
        try writeProbes(synthetic)
        let result = try ReportWriter.write(run: synthetic.run, output: synthetic.run.appendingPathComponent("report"))
        let html = try String(contentsOf: result.html, encoding: .utf8)
        // Math: min 0.25, mean 4.0/6 = 0.667, max 1.0 at (1, 1). Inference: min 0.1, mean 2.85/6 = 0.475, max 0.95 at (1, 1).
        #expect(tableRow(html, table: "probes", key: "function", value: "Math Reasoning") == "Math Reasoning|2|2|0.250|0.667|1.000|L1 H1|12|4")
        #expect(tableRow(html, table: "probes", key: "function", value: "Inference") == "Inference|2|2|0.100|0.475|0.950|L1 H1|10|2")
        // Shared heads: both sets contain (1, 1); the diagonal is the set size.
        #expect(tableRow(html, table: "overlap", key: "function", value: "Math Reasoning")?.hasSuffix("2 (1.00)|1 (0.33)") == true)
        // The heat maps frame exactly the top heads (2 per function).
        #expect(html.components(separatedBy: "class=\"hl\"").count - 1 == 4)
        #expect(html.contains("<title>layer 1, head 2: recall 0.2500</title>"))
        #expect(result.text.contains("Math Reasoning                     2      2      0.250..1.000  L1 H1"))
    }

    @Test("interventions: top-k against the random summary row, every condition, whiskers at the delta intervals")
    func interventions() throws {
        let synthetic = try SyntheticRun()
        try writeInterventions(synthetic)
        let result = try ReportWriter.write(run: synthetic.run, output: synthetic.run.appendingPathComponent("report"))
        let html = try String(contentsOf: result.html, encoding: .utf8)
        #expect(tableRow(html, table: "intervention-overview", key: "function", value: "Math Reasoning")
                == "Math Reasoning|8|2|-0.625|[-0.875, -0.250]|harmful|-0.125|[-0.500, +0.000]|no effect")
        #expect(tableRow(html, table: "interventions", key: "function", value: "Math Reasoning\" data-condition=\"math-reasoning--ablate-random-s43")
                == "math-reasoning--ablate-random-s43|2|8|3|agreement|0.750|[0.650, 0.850]|1.000|-0.250|[-0.500, +0.000]|no effect")
        // The chart shows the summary row for random heads, not each seed, with short labels.
        #expect(html.contains(">ablate-top</text>") && html.contains(">ablate-random (2 seeds)</text>"))
        #expect(!html.contains(">ablate-random-s42</text>"))
        #expect(result.text.contains("top-k -0.625 [-0.875, -0.250] harmful; random-k -0.125 no effect"))
    }

    @Test("attribution: correlation, per-image rows, curves with NaN shown as n/a, flow series")
    func attribution() throws {
        let synthetic = try SyntheticRun()
        try writeAttribution(synthetic)
        let result = try ReportWriter.write(run: synthetic.run, output: synthetic.run.appendingPathComponent("report"))
        let html = try String(contentsOf: result.html, encoding: .utf8)
        #expect(html.contains("data-key=\"mean_held_out_correlation\">0.438<"))
        #expect(tableRow(html, table: "attribution-images", key: "image", value: "img-a") == "img-a|star|star|red|0.438|2.500|L1H1")
        #expect(tableRow(html, table: "curves", key: "ranking", value: "regression\" data-kind=\"completeness") == "regression|completeness|n/a|0.500|1.000")
        #expect(html.contains("object-&gt;final"))
        #expect(html.contains("<title>layer 1, head 1: attribution 1.5000 (top head)</title>"))
        #expect(result.text.contains("1 images, 123 model runs"))
    }
}
