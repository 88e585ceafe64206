import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeReport
import Testing
import TestSupport

/// A one-shard activation store over the synthetic items, with verdicts chosen here.
@Suite("report: model accuracy and answers from the activation store")
struct AccuracySectionTests {
    /// Verdicts per (item, step): 1 = correct.
    static let verdicts: [String: [Bool]] = ["a": [true, false, true], "b": [false, false], "c": [true, true]]

    func writeStore(_ synthetic: SyntheticRun, policy: String = "mean", repeatRows: Int = 1) throws {
        let directory = try synthetic.stage("activations", stage: "extract")
        let attributes = StoreAttributes(toolVersion: "t", modelID: "test-model", modelSHA256: "00", layers: 1, heads: 2, headDim: 2,
                                         promptTemplate: "p", contextPolicy: "none", positionPolicy: policy, judge: "j")
        var rows: [ActivationRow] = []
        for item in SyntheticRun.items {
            for (step, function) in item.steps.enumerated() {
                let correct = Self.verdicts[item.id]?[step] ?? false
                for token in 0..<repeatRows {
                    rows.append(ActivationRow(itemID: item.id, step: step, function: function, subquestion: "Q\(step) of \(item.id)?",
                                              referenceAnswer: "\(step)", modelAnswer: correct ? "\(step)" : "wrong-\(item.id)-\(step)",
                                              rawOutput: "", correct: correct, answerStart: 0, answerLength: 1,
                                              tokenIndex: policy == "all-tokens" ? token : -1, image: "images/img-\(item.id).png",
                                              split: item.split, z: [Float](repeating: 0.5, count: 4)))
                }
            }
        }
        let store = ActivationStore(directory: directory)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows, attributes: attributes, index: 0, count: 1, to: store.shardURL(index: 0, count: 1))
        _ = try store.buildIndex()
    }

    /// Correct / total per label, counted from the literal verdicts.
    func expected() -> [String: (Int, Int)] {
        var counts: [String: (Int, Int)] = [:]
        for item in SyntheticRun.items {
            for (step, function) in item.steps.enumerated() {
                let ok = Self.verdicts[item.id]?[step] ?? false
                counts[function, default: (0, 0)].0 += ok ? 1 : 0
                counts[function, default: (0, 0)].1 += 1
            }
        }
        return counts
    }

    @Test("accuracy per label is correct/total of the store's verdicts; example chains show the model's answers",
          arguments: [("mean", 1), ("all-tokens", 3)])
    func accuracy(policy: String, repeatRows: Int) throws {
        let synthetic = try SyntheticRun()
        try writeStore(synthetic, policy: policy, repeatRows: repeatRows)
        let result = try ReportWriter.write(run: synthetic.run, output: synthetic.run.appendingPathComponent("report"))
        let html = try String(contentsOf: result.html, encoding: .utf8)
        // Low-Level: a0 ✓, b0 ✗ → 1/2; Math: a1 ✗, c0 ✓, c1 ✓ → 2/3; Inference: a2 ✓, b1 ✗ → 1/2.
        #expect(expected()["Math Reasoning"]! == (2, 3))
        for (label, (correct, total)) in expected() {
            let accuracy = ReportFormat.fixed(Double(correct) / Double(total))
            #expect(tableRow(html, table: "accuracy", key: "function", value: label) == "\(label)|\(correct)|\(total)|\(accuracy)")
        }
        #expect(tableRow(html, table: "accuracy", key: "function", value: "all") == "all|4|7|0.571")
        #expect(html.contains("wrong-a-1 ✗"))
        #expect(html.contains("Model <code>test-model</code>"))
        #expect(result.text.contains("Math Reasoning                     0.667  (2/3)"))
    }
}
