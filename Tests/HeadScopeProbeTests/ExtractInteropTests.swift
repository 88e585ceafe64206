import Foundation
import HeadScopeActivations
import Testing
import TestSupport
@testable import HeadScopeProbe

/// The probe stage on a store written by the extract stage's own writer (shards through
/// `ShardFile.write`, the index through `ActivationStore.buildIndex`), not only by this suite's
/// synthetic writer.
@Suite struct ExtractInteropTests {
    @Test func probesAStoreWrittenByTheExtractWriter() throws {
        let directory = try TestSupport.scratchDirectory("probe-interop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let synthetic = SyntheticStore.planted(functions: ["Inference", "Math Reasoning", "Decision-Making"],
                                               planted: [(0, 1), (1, 0), (1, 1)], items: 60, layers: 2, heads: 2,
                                               headDim: 4, signal: 4)
        let width = synthetic.layers * synthetic.heads * synthetic.headDim
        let rows = synthetic.rows.enumerated().map { r, row in
            ActivationRow(itemID: row.item, step: Int(row.step), function: row.function, subquestion: "q",
                          referenceAnswer: "a", modelAnswer: "a", rawOutput: "[{\"answer\": \"a\"}]",
                          correct: row.correct == 1, answerStart: 10, answerLength: 2, image: "images/x.png",
                          split: row.split ?? "train", z: Array(synthetic.z[(r * width)..<((r + 1) * width)]))
        }
        let attributes = StoreAttributes(toolVersion: "0.1.0", modelID: "synthetic", modelSHA256: "0",
                                         layers: 2, heads: 2, headDim: 4, promptTemplate: "headscope-subquestion-v1",
                                         contextPolicy: "none", positionPolicy: "mean", judge: "normalized-match-v1")
        let store = HeadScopeActivations.ActivationStore(directory: directory.appendingPathComponent("activations"))
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        let half = rows.count / 2
        try ShardFile.write(Array(rows[..<half]), attributes: attributes, index: 0, count: 2, to: store.shardURL(index: 0, count: 2))
        try ShardFile.write(Array(rows[half...]), attributes: attributes, index: 1, count: 2, to: store.shardURL(index: 1, count: 2))
        #expect(try store.buildIndex().isComplete)

        var options = ProbeOptions()
        options.features = .z
        options.topK = 1
        let output = directory.appendingPathComponent("probes")
        try ProbeStage(activations: store.directory, output: output, options: options, progressMode: .silent).run()
        let report = try JSONDecoder().decode(FunctionalHeadsReport.self,
                                              from: Data(contentsOf: output.appendingPathComponent("functional_heads.json")))
        let top = Dictionary(uniqueKeysWithValues: report.functions.map { ($0.function, $0.top.first.map { [$0.layer, $0.head] }) })
        #expect(top["Inference"] == [0, 1] && top["Math Reasoning"] == [1, 0] && top["Decision-Making"] == [1, 1], "\(top)")

        // The reader agrees with the extract module's own reader, layer by layer.
        let mine = try ActivationStoreReader(directory: store.directory)
        let theirs = try ActivationReader(store: store.directory)
        for layer in 0..<2 { #expect(try mine.readLayer(layer) == theirs.layer(layer)) }
        #expect(mine.rows.functions == (try theirs.strings("function")))
    }
}
