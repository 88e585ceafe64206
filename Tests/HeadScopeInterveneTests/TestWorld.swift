import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeHDF5
import HeadScopeIntervene
import TestSupport

/// A small pipeline folder built for the fake model: prepared/ (chains Low -> Other -> High),
/// probes/ (functional_heads.json + scores.h5 with known top sets) and activations/ (a store whose
/// steering direction at head (0, 3) of `Other` is known).
struct TestWorld {
    static let layers = 3, heads = 4, headDim = 2
    static let functions = ["Low", "Other", "High"]
    /// Top sets, best first: Low's holds the designated head (1, 2).
    static let top: [String: [HeadRef]] = [
        "Low": [HeadRef(layer: 1, head: 2), HeadRef(layer: 0, head: 0)],
        "Other": [HeadRef(layer: 0, head: 3), HeadRef(layer: 1, head: 0)],
        "High": [HeadRef(layer: 2, head: 1), HeadRef(layer: 2, head: 3)],
    ]

    let root: URL
    var prepared: URL { root.appendingPathComponent("prepared") }
    var probes: URL { root.appendingPathComponent("probes") }
    var activations: URL { root.appendingPathComponent("activations") }
    var output: URL { root.appendingPathComponent("interventions") }
    /// Reference answers by subquestion.
    var gold: [String: String] = [:]
    /// The store rows written (for independent recomputation in tests).
    var rows: [ActivationRow] = []

    /// - Parameters:
    ///   - testItems: number of test chains; - trainItems: train chains (not run, only for splits).
    init(testItems: Int = 12, trainItems: Int = 4, testSplitName: String = "test",
         probeLayers: Int = TestWorld.layers, probeHeads: Int = TestWorld.heads,
         probeModelSHA: String = "f00d", emptyTopFor: String? = nil) throws {
        root = try TestSupport.scratchDirectory("intervene")
        try writePrepared(testItems: testItems, trainItems: trainItems, testSplitName: testSplitName)
        try writeProbes(layers: probeLayers, heads: probeHeads, modelSHA: probeModelSHA, emptyTopFor: emptyTopFor)
        try writeActivations()
    }

    func runtime() -> FakeRuntime { FakeRuntime(gold: gold) }

    func stage(_ runtime: FakeRuntime, settings: InterventionSettings, output: URL? = nil,
               activations: Bool = true) -> InterventionStage {
        InterventionStage(prepared: prepared, probes: probes, activations: activations ? self.activations : nil,
                          output: output ?? self.output, runtime: runtime, settings: settings, progressMode: .silent)
    }

    // MARK: prepared/

    mutating func writePrepared(testItems: Int, trainItems: Int, testSplitName: String) throws {
        let images = prepared.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var lines: [String] = []
        for n in 0..<(testItems + trainItems) {
            let split = n < testItems ? testSplitName : "train"
            let id = "item-\(n)", image = "img-\(n)"
            try Data([0x89]).write(to: images.appendingPathComponent("\(image).png"))
            let steps: [(String, String, String)] = [
                ("Low count in scene \(n)", "\(n % 5 + 1)", "Low"),
                ("Other colour in scene \(n)", "blue", "Other"),
                ("High is it consistent in scene \(n)", "yes", "High"),
            ]
            for step in steps { gold[step.0] = step.1 }
            let item: [String: Any] = [
                "id": id, "image_id": image, "question": "Main question \(n)?", "options": [String: String](),
                "final_answer": "yes", "split": split,
                "steps": steps.map { ["subquestion": $0.0, "answer": $0.1, "function": $0.2] },
            ]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys]), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: prepared.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
    }

    // MARK: probes/

    /// Scores: the top set first (0.99, 0.95), then every other head from 0.9 down by 0.05 in grid
    /// order, so the bottom heads are the last ones of the grid outside the top set.
    static func scores(for function: String, layers: Int, heads: Int) -> [Double] {
        var scores = [Double](repeating: 0, count: layers * heads)
        let top = (TestWorld.top[function] ?? []).filter { $0.layer < layers && $0.head < heads }
        var next = 0.9
        for index in 0..<(layers * heads) where !top.contains(HeadRef(layer: index / heads, head: index % heads)) {
            scores[index] = next
            next -= 0.05
        }
        for (rank, head) in top.enumerated() { scores[head.layer * heads + head.head] = rank == 0 ? 0.99 : 0.95 }
        return scores
    }

    func writeProbes(layers: Int, heads: Int, modelSHA: String, emptyTopFor: String?) throws {
        try FileManager.default.createDirectory(at: probes, withIntermediateDirectories: true)
        let file = try HDF5File.create(probes.appendingPathComponent("scores.h5").path)
        let a = file.attributes
        try a.write("schema_version", "headscope-probes/1")
        try a.write("num_layers", Int64(layers))
        try a.write("num_heads", Int64(heads))
        try a.write("head_dim", Int64(TestWorld.headDim))
        try a.write("rank_by", "recall")
        try a.write("activations_model_id", "fake-vlm")
        try a.write("activations_model_sha256", modelSHA)
        try file.root.createDataset("functions", strings: TestWorld.functions)
        var entries: [[String: Any]] = []
        for function in TestWorld.functions {
            let scores = TestWorld.scores(for: function, layers: layers, heads: heads)
            let group = try file.root.createGroup("probes/\(function.lowercased())")
            try group.attributes.write("function", function)
            _ = try group.createDataset("recall", values: scores, shape: [layers, heads])
            let top = function == emptyTopFor ? [] : (TestWorld.top[function] ?? [])
            let heads = top.map { ["layer": $0.layer, "head": $0.head, "score": scores[$0.layer * heads + $0.head]] as [String: Any] }
            entries.append(["function": function, "top": heads, "above_threshold": heads, "layer_histogram": [Int](),
                            "sparsity": [String: Int](), "mean_score": NSNull(), "mean_permutation_score": NSNull(),
                            "train_rows": 6, "test_rows": 2])
        }
        try file.close()
        let report: [String: Any] = [
            "schema_version": "headscope-functional-heads/1", "rank_by": "recall", "top_k": 2, "threshold": 0.85,
            "num_layers": layers, "num_heads": heads, "functions": entries,
            "jaccard_functions": TestWorld.functions, "jaccard": [[Double]](),
        ]
        try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            .write(to: probes.appendingPathComponent("functional_heads.json"))
    }

    // MARK: activations/

    /// Per function: 3 correct and 3 incorrect train rows, 2 test rows. Every head's z is
    /// `[s * (1 + 0.1 r), 0.3 * r - 0.5]` with `s = +1` for correct and `-1` for incorrect rows
    /// (r the row's number within its function), so each direction is close to (1, 0).
    mutating func writeActivations() throws {
        let L = TestWorld.layers, H = TestWorld.heads, D = TestWorld.headDim
        var rows: [ActivationRow] = []
        for function in TestWorld.functions {
            for r in 0..<8 {
                let split = r < 6 ? "train" : "test"
                let correct = r % 2 == 0
                let s: Float = correct ? 1 : -1
                var z = [Float](repeating: 0, count: L * H * D)
                for cell in 0..<(L * H) {
                    z[cell * D] = s * (1 + 0.1 * Float(r)) + 0.01 * Float(cell)
                    z[cell * D + 1] = 0.3 * Float(r) - 0.5
                }
                rows.append(ActivationRow(itemID: "store-\(function)-\(r)", step: 0, function: function, subquestion: "q",
                                          referenceAnswer: "a", modelAnswer: correct ? "a" : "b", rawOutput: "", correct: correct,
                                          answerStart: 10, answerLength: 2, image: "images/x.png", split: split, z: z))
            }
        }
        self.rows = rows
        let attributes = StoreAttributes(toolVersion: ToolVersion.string, modelID: "fake-vlm", modelSHA256: "f00d",
                                         layers: L, heads: H, headDim: D, promptTemplate: "headscope-subquestion-v1",
                                         contextPolicy: "none", positionPolicy: "mean", judge: "normalized-match-v1")
        let store = ActivationStore(directory: activations)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows, attributes: attributes, index: 0, count: 1, to: store.shardURL(index: 0, count: 1))
        try store.buildIndex()
    }

    /// Settings for quick tests: three random seeds, 400 bootstrap resamples.
    static func settings() -> InterventionSettings {
        var s = InterventionSettings()
        s.randomSeeds = [42, 43, 44]
        s.bootstrapSamples = 400
        s.hierarchy = [.init(low: "Low", high: "High")]
        return s
    }
}
