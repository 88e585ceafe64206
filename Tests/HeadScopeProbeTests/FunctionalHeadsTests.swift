import Foundation
import Testing
@testable import HeadScopeProbe

/// Selection of functional heads, overlaps, histograms and sparsity on hand-made scores.
@Suite struct FunctionalHeadsTests {
    static func results(_ scores: [[Double]], layers: Int, heads: Int) -> (ProbeResults, ProbeDesign.FunctionRows) {
        var results = ProbeResults(geometry: HeadGeometry(layers: layers, heads: heads, headDim: 1), featureCount: 2,
                                   functionNames: scores.indices.map { "f\($0)" })
        for (f, values) in scores.enumerated() { results.functions[f].recall = values }
        let rows = ProbeDesign.FunctionRows(function: "", trainRows: [1, 2], trainLabels: [1, 0], testRows: [3, 4],
                                            testLabels: [1, 0], folds: [], permutedLabels: [])
        return (results, rows)
    }

    @Test func topSetsJaccardHistogramAndSparsity() throws {
        // 2 layers x 3 heads; ceil(0.5 * 6) = 3 top heads.
        let (results, rows) = Self.results([
            [0.9, 0.5, 0.7, 0.95, 0.7, 0.1],    // top: (1,0) 0.95, (0,0) 0.9, then the tie at 0.7 → (0,2) first
            [0.2, 0.9, 0.8, 0.1, 0.3, 0.86],    // top: (0,1), (1,2), (0,2)
        ], layers: 2, heads: 3)
        let design = try ProbeDesign(rows: ActivationRows(itemIDs: ["a", "b", "c", "d"], functions: ["x", "y", "x", "y"],
                                                          correct: [1, 1, 1, 1], split: ["train", "train", "test", "test"]),
                                     options: { var o = ProbeOptions(); o.minTrainRows = 1; o.permutations = 0; return o }(),
                                     storeName: "t")
        var options = ProbeOptions()
        options.topRatio = 0.5
        let report = FunctionalHeadsReport(results: results, design: ProbeDesign(copying: design, rows: [rows, rows]),
                                           options: options)
        #expect(report.topK == 3)
        let first = report.functions[0], second = report.functions[1]
        #expect(first.top.map { [$0.layer, $0.head] } == [[1, 0], [0, 0], [0, 2]])
        #expect(second.top.map { [$0.layer, $0.head] } == [[0, 1], [1, 2], [0, 2]])
        #expect(first.aboveThreshold.map { [$0.layer, $0.head] } == [[1, 0], [0, 0]])
        #expect(second.aboveThreshold.map(\.score) == [0.9, 0.86])
        #expect(first.layerHistogram == [2, 1] && second.layerHistogram == [2, 1])
        #expect(first.sparsity["0.6"] == 4 && first.sparsity["0.85"] == 2 && first.sparsity["0.95"] == 0)
        // Shared: (0,2) → 1 / 5.
        #expect(report.jaccard[0][1] == 0.2 && report.jaccard[1][0] == 0.2 && report.jaccard[0][0] == 1)
        #expect(abs((first.meanScore ?? 0) - 3.85 / 6) < 1e-12)
        // The JSON has the documented keys.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["schema_version"] as? String == "headscope-functional-heads/1")
        let entry = (json?["functions"] as? [[String: Any]])?.first
        #expect(entry?.keys.contains("mean_permutation_score") == true)
        #expect(entry?["above_threshold"] != nil && entry?["layer_histogram"] != nil)
    }

    @Test func topCountIsTheCeilingOfTheRatio() {
        var options = ProbeOptions()
        #expect(FunctionalHeadsReport.topCount(options: options, geometry: HeadGeometry(layers: 28, heads: 28, headDim: 1)) == 79)
        #expect(FunctionalHeadsReport.topCount(options: options, geometry: HeadGeometry(layers: 36, heads: 16, headDim: 1)) == 58)
        #expect(FunctionalHeadsReport.topCount(options: options, geometry: HeadGeometry(layers: 10, heads: 10, headDim: 1)) == 10)
        options.topK = 5
        #expect(FunctionalHeadsReport.topCount(options: options, geometry: HeadGeometry(layers: 2, heads: 2, headDim: 1)) == 4)
    }

    @Test func slugsAreDistinctAndSafe() {
        #expect(ScoresFile.slugs(["Math Reasoning", "math-reasoning", "Low-Level Vision Reception", "???"])
                == ["math-reasoning", "math-reasoning-2", "low-level-vision-reception", "function"])
    }
}

extension ProbeDesign {
    /// A copy of `design` with other per-function rows (for tests of the selection alone).
    init(copying design: ProbeDesign, rows: [FunctionRows]) {
        self = design
        functions = rows
    }
}
