import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeIntervene
import HeadScopeProbe
import Testing
import TestSupport

@Suite("Reading the probe stage's real output")
struct ProbeInteropTests {
    /// A store for the fake model's geometry where `Low` rows carry a signal in heads (1, 2) and
    /// (2, 0) and every other value is seeded noise; a quarter of the rows are judged incorrect.
    static func writeStore(at directory: URL) throws {
        var generator = SeededGenerator(seed: 11)
        func noise() -> Float { Float(generator.below(2001)) / 1000 - 1 }
        let (L, H, D) = (TestWorld.layers, TestWorld.heads, TestWorld.headDim)
        var rows: [ActivationRow] = []
        for function in TestWorld.functions {
            for r in 0..<48 {
                var z = (0..<(L * H * D)).map { _ in noise() }
                if function == "Low" {
                    for head in [HeadRef(layer: 1, head: 2), HeadRef(layer: 2, head: 0)] {
                        let cell = (head.layer * H + head.head) * D
                        z[cell] += 4; z[cell + 1] -= 4
                    }
                }
                rows.append(ActivationRow(itemID: "\(function)-\(r)", step: 0, function: function, subquestion: "q", referenceAnswer: "a",
                                          modelAnswer: "a", rawOutput: "", correct: r % 4 != 3, answerStart: 10, answerLength: 2,
                                          image: "images/x.png", split: r < 36 ? "train" : "test", z: z))
            }
        }
        let attributes = StoreAttributes(toolVersion: ToolVersion.string, modelID: "fake-vlm", modelSHA256: "f00d",
                                         layers: L, heads: H, headDim: D, promptTemplate: "headscope-subquestion-v1",
                                         contextPolicy: "none", positionPolicy: "mean", judge: "normalized-match-v1")
        let store = ActivationStore(directory: directory)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows, attributes: attributes, index: 0, count: 1, to: store.shardURL(index: 0, count: 1))
        try store.buildIndex()
    }

    @Test("top sets, rankings and the model id agree with headscope-probe's files; the stage runs on them")
    func realProbeOutput() throws {
        let world = try TestWorld()
        let store = world.root.appendingPathComponent("store"), probes = world.root.appendingPathComponent("real-probes")
        try ProbeInteropTests.writeStore(at: store)
        var options = ProbeOptions()
        options.permutations = 0
        options.rankBy = .balancedAccuracy
        // z alone: with the layer-mean half of the features, every head of a signal layer would tie.
        options.features = .z
        try ProbeStage(activations: store, output: probes, options: options, figures: false, progressMode: .silent).run()

        let read = try ProbeResults(directory: probes)
        let report = try JSONDecoder().decode(FunctionalHeadsReport.self,
                                              from: Data(contentsOf: probes.appendingPathComponent("functional_heads.json")))
        #expect(read.layers == 3 && read.heads == 4 && read.headDim == 2)
        #expect(read.modelID == "fake-vlm" && read.modelSHA256 == "f00d" && read.rankBy == "balanced_accuracy")
        #expect(read.functionNames == report.functions.map(\.function))
        for set in report.functions {
            let function = try #require(read.function(set.function))
            let top = set.top.map { HeadRef(layer: $0.layer, head: $0.head) }
            #expect(function.top == top)
            #expect(function.aboveThreshold == set.aboveThreshold.map { HeadRef(layer: $0.layer, head: $0.head) })
            // The full ranking from scores.h5 starts with the probe stage's own top set.
            #expect(function.ranking.count == 12 && Array(function.ranking.prefix(top.count)) == top)
        }
        #expect(Set(read.function("Low")?.top ?? []) == [HeadRef(layer: 1, head: 2), HeadRef(layer: 2, head: 0)])

        var settings = TestWorld.settings()
        settings.randomSeeds = [42]
        let summary = try InterventionStage(prepared: world.prepared, probes: probes, activations: store, output: world.output,
                                            runtime: world.runtime(), settings: settings, progressMode: .silent).run()
        let row = try #require(summary.table.rows.first { $0.function == "Low" && $0.condition == "low--ablate-top" })
        #expect(row.verdict == "harmful" && row.value == 0)
        #expect(summary.table.rows.first { $0.function == "Low" && $0.condition == "low--ablate-random-s42" }?.verdict == "no effect")
    }
}
