import Foundation
import HeadScopeCore
import Testing
import TestSupport
@testable import HeadScopeProbe

/// The real `headscope-probe` executable on a small store: outputs, manifest, figures, and what
/// h5py (an independent reader) sees in scores.h5.
@Suite struct CommandLineTests {
    static var executable: URL {
        TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-probe")
    }

    @Test func writesEveryOutputReadableByH5py() throws {
        let directory = try TestSupport.scratchDirectory("probe-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let activations = directory.appendingPathComponent("activations")
        let store = SyntheticStore.planted(functions: ["Inference", "Math Reasoning", "Decision-Making"],
                                           planted: [(0, 0), (1, 1), (2, 0)], items: 60, layers: 3, heads: 2,
                                           headDim: 4, signal: 4)
        try store.write(to: activations, shards: 2)
        let output = directory.appendingPathComponent("probes")
        let result = try TestSupport.run(Self.executable, ["--activations", activations.path, "--output", output.path,
                                                           "--cv-folds", "3", "--threads", "2"],
                                         environment: ["HEADSCOPE_PROGRESS": "log:0.001"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("training_seconds="))
        #expect(result.stderr.contains("probe: 3/3 layers"), "\(result.stderr)")

        let manifest = try Manifest.load(stageDirectory: output, expectingStage: "probe")
        #expect(manifest.counts["probes"] == 3 * 3 * 2)
        #expect(manifest.counts["top_k"] == 1)    // ceil(0.1 * 3 * 2)
        #expect(manifest.inputs.contains { $0.role == "activations-index" && $0.sha256 == (try? ContentHash.file(at: activations.appendingPathComponent("index.h5"))) })
        #expect(manifest.configuration["seed"]?.intValue == 42)
        try manifest.verifyOutputs(in: output)
        for slug in ["inference", "math-reasoning", "decision-making"] {
            let svg = try String(contentsOf: output.appendingPathComponent("figures/heatmap-\(slug).svg"), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.contains("<svg") && svg.contains("layer") && svg.hasSuffix("</svg>\n"))
        }

        // h5py reads the schema and the probe weights refit what the scores say.
        let check = try TestSupport.python("""
            import sys, glob, h5py, numpy as np, xml.etree.ElementTree as ET
            figures = sorted(glob.glob(sys.argv[3] + "/*.svg"))
            assert len(figures) == 6, figures
            for path in figures:   # well-formed XML with an <svg> root
                assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg", path
            with h5py.File(sys.argv[1], "r") as s, h5py.File(sys.argv[2], "r") as a:
                assert s.attrs["schema_version"] == "headscope-probes/1", s.attrs["schema_version"]
                z = a["z"][:]
                for name in s["probes"]:
                    g = s["probes"][name]
                    w, b = g["weights"][:], g["bias"][:]
                    rows, labels = g["test_rows"][:], g["test_labels"][:]
                    assert g["recall"].shape == (3, 2) and w.shape == (3, 2, 8)
                    for l in range(3):
                        for h in range(2):
                            x = np.concatenate([z[rows, l, h], z[rows, l].mean(axis=1)], axis=1)
                            pred = x @ w[l, h] + b[l, h] > 0
                            recall = pred[labels == 1].mean()
                            assert abs(recall - g["recall"][l, h]) < 1e-9, (name, l, h, recall, g["recall"][l, h])
                    assert np.isfinite(g["cv_balanced_accuracy_mean"][:]).all()
                    assert (g["converged"][:] == 1).all()
            print("ok")
            """, [output.appendingPathComponent("scores.h5").path, activations.appendingPathComponent("index.h5").path,
                                               output.appendingPathComponent("figures").path])
        #expect(check.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    @Test func badInputExitsNonZeroWithAMessage() throws {
        let directory = try TestSupport.scratchDirectory("probe-cli-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        var store = SyntheticStore.planted(functions: ["A", "B"], planted: [(0, 0), (0, 1)], items: 30, layers: 1,
                                           heads: 2, headDim: 4, signal: 2)
        store.schemaVersion = "something-else/9"
        let activations = directory.appendingPathComponent("activations")
        try store.write(to: activations)
        let result = try TestSupport.run(Self.executable, ["--activations", activations.path,
                                                           "--output", directory.appendingPathComponent("probes").path])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("something-else/9"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }
}
