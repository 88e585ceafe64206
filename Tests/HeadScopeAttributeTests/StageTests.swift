import Foundation
import Testing
import TestSupport
import HeadScopeCore
import HeadScopeHDF5
import HeadScopeImageIO
@testable import HeadScopeAttribute

@Suite struct StageTests {
    static let scenes = [("circle", "red"), ("circle", "blue"), ("square", "red"), ("square", "blue")]

    /// A prepared/ directory with four main-object scenes (40 x 40), their masks, one question item
    /// that is not a main-object item, and a finished prepare manifest.
    static func prepared() throws -> URL {
        let root = try TestSupport.scratchDirectory("attribute-prepared").appendingPathComponent("prepared")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("images"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("masks"), withIntermediateDirectories: true)
        var items: [String] = [], images: [String] = []
        for (n, (shape, color)) in scenes.enumerated() {
            let id = "00000000000\(n)-scene-\(shape)-\(color)"
            let rgb: [UInt8] = color == "red" ? [200, 30, 30] : [30, 30, 200]
            try RasterImage(width: 40, height: 40, format: .rgb, filledWith: rgb).writePNG(to: root.appendingPathComponent("images/\(id).png"))
            try RasterImage(width: 40, height: 40, format: .gray, pixels: KnockoutTests.mask()).writePNG(to: root.appendingPathComponent("masks/\(id).png"))
            images.append(#"{"id":"\#(id)","file":"images/\#(id).png","width":40,"height":40,"mask":"masks/\#(id).png"}"#)
            items.append(#"{"id":"q\#(n)","image_id":"\#(id)","question":"What is the main object in this image? Answer with one word.","options":{},"final_answer":"\#(shape)","source":"t","split":"train","steps":[],"tags":{"class":"\#(shape)","color":"\#(color)","task":"main_object"}}"#)
        }
        items.append(#"{"id":"other","image_id":"000000000000-scene-circle-red","question":"How many?","options":{},"final_answer":"2","source":"t","split":"train","steps":[],"tags":{"task":"count_left"}}"#)
        try (items.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
        try (images.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("images.jsonl"), atomically: true, encoding: .utf8)
        var manifest = Manifest(stage: "prepare")
        manifest.finish()
        try manifest.save(inDirectory: root)
        return root
    }

    static let config = AttributionConfig(masks: 200, keepProbability: 0.8, seed: 42, topK: 4, curveSizes: [0, 2, 4, 8, 16],
                                          baseline: .mean, referenceImages: 2, knockoutWindow: 1)

    static func coefficients(_ output: URL) throws -> [Double] {
        let file = try HDF5File.open(output.appendingPathComponent("attributions.h5").path)
        defer { try? file.close() }
        return try file.root.openDataset("logit/coefficients").read(as: Double.self)
    }

    @Test func stageFindsPlantedHeadsGroupsByClassAndResumes() throws {
        let prepared = try Self.prepared()
        let output = prepared.deletingLastPathComponent().appendingPathComponent("attribution")
        let runtime = PlantedRuntime(noise: 0.05)
        let stage = AttributeStage(prepared: prepared, output: output, config: Self.config, progressMode: .silent)
        let summary = try stage.run(runtime: runtime)

        #expect(summary.images.count == 4)  // the counting item is not a main-object item
        for image in summary.images {
            let planted = image.tags["class"] == "square" ? PlantedRuntime.plantedSquare : PlantedRuntime.plantedCircle
            #expect(Set(image.topHeads) == Set(planted.keys), "\(image.imageID)")
            #expect(image.heldOutCorrelation > 0.9)
        }
        // Top sets follow the class, not the colour.
        #expect(summary.grouping.sameClass == 1 && summary.grouping.sameClassPairs == 2)
        #expect(summary.grouping.sameColor == 0 && summary.grouping.sameColorPairs == 2)
        // Blocking object tokens from the final token in the top heads costs the planted flow in
        // every layer (each layer holds one planted head); blocking the question costs nothing.
        let objectFlow = try #require(summary.flows.first { $0.edge == KnockoutEdge(from: .object, to: .final) })
        #expect(objectFlow.layerStarts == [0, 1, 2, 3])
        for drop in objectFlow.meanLogitDrop { #expect(abs(drop - 1) < 0.25) }
        let questionFlow = try #require(summary.flows.first { $0.edge == KnockoutEdge(from: .question, to: .final) })
        for drop in questionFlow.meanLogitDrop { #expect(abs(drop) < 0.25) }
        // Regression ranking: keeping the top 4 restores the answer, ablating them removes it.
        let faith = try #require(summary.curves.first { $0.ranking == "regression" && $0.kind == "faithfulness" })
        let comp = try #require(summary.curves.first { $0.ranking == "regression" && $0.kind == "completeness" })
        #expect(faith.sizes == [0, 2, 4, 8, 16])
        #expect(abs(faith.normalised[2] - 1) < 0.05 && abs(comp.normalised[2] - 1) < 0.05)
        #expect(faith.answerRate[2] == 1 && comp.answerRate[2] == 1)

        // Outputs: manifest finished with the prepared input, SVGs parse as XML, runs.h5 holds every image.
        let manifest = try Manifest.load(stageDirectory: output, expectingStage: "attribute")
        #expect(manifest.finishedAt != nil)
        #expect(manifest.inputs.map(\.role) == ["prepared", "model"])
        #expect(manifest.counts["images"] == 4)
        #expect(manifest.outputs.count == 6 + 4)  // plus per-class and per-colour heat maps
        let check = try TestSupport.python("""
        import sys, h5py, xml.etree.ElementTree as ET
        d = sys.argv[1]
        for n in ["heatmap.svg", "curves.svg", "flow.svg", "heatmap-class-circle.svg", "heatmap-color-blue.svg"]: ET.parse(d + "/" + n)
        f = h5py.File(d + "/runs.h5", "r"); a = h5py.File(d + "/attributions.h5", "r")
        print(len(f["images"]), f["images"][sorted(f["images"])[0]]["masks"].shape, a["logit/coefficients"].shape, a["mean"].shape)
        """, [output.path])
        #expect(check.trimmingCharacters(in: .whitespacesAndNewlines) == "4 (200, 16) (4, 4, 4) (4, 4)")
        // The stored fits are reproducible from runs.h5 alone: ridge (lambda 1) on the first 160
        // masks, in numpy.
        let refit = try TestSupport.python("""
        import sys, h5py, numpy as np
        d = sys.argv[1]; f = h5py.File(d + "/runs.h5", "r"); a = h5py.File(d + "/attributions.h5", "r")
        worst = 0.0
        for i, name in enumerate([s.decode() if isinstance(s, bytes) else s for s in a["image_id"][()]]):
            g = f["images"][name]; X = g["masks"][()][:160].astype(float); y = g["logit"][()][:160].astype(float)
            Xc = X - X.mean(0); b = np.linalg.solve(Xc.T @ Xc + np.eye(16), Xc.T @ (y - y.mean()))
            worst = max(worst, float(np.abs(b - a["logit/coefficients"][i].reshape(16)).max()))
            worst = max(worst, abs(float(y.mean() - X.mean(0) @ b) - float(a["logit/intercept"][i])))
        print(worst)
        """, [output.path])
        #expect((Double(refit.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1) < 1e-9)

        // Resume: everything is reused; only the baseline is captured again.
        let first = try Self.coefficients(output)
        let again = PlantedRuntime(noise: 0.05)
        try AttributeStage(prepared: prepared, output: output, config: Self.config, progressMode: .silent).run(runtime: again)
        #expect(again.calls == 2)
        #expect(try Self.coefficients(output) == first)

        // A lost result is recomputed from the stored runs without drawing masks again.
        try FileManager.default.removeItem(at: output.appendingPathComponent("results/000000000002-scene-square-red.json"))
        let third = PlantedRuntime(noise: 0.05)
        try AttributeStage(prepared: prepared, output: output, config: Self.config, progressMode: .silent).run(runtime: third)
        let perImageEvaluation = AttributeStage.runsPerImage(config: Self.config, grid: HeadGrid(layers: 4, heads: 4)) - (Self.config.masks + 2)
        #expect(third.calls > 2 && third.calls <= 2 + perImageEvaluation)
        #expect(try Self.coefficients(output) == first)

        // Same seed, fresh directory: identical attributions.
        let other = prepared.deletingLastPathComponent().appendingPathComponent("attribution-2")
        try AttributeStage(prepared: prepared, output: other, config: Self.config, progressMode: .silent).run(runtime: PlantedRuntime(noise: 0.05))
        #expect(try Self.coefficients(other) == first)
    }

    @Test func blankBaselineAndRefusals() throws {
        let prepared = try Self.prepared()
        let output = prepared.deletingLastPathComponent().appendingPathComponent("attribution-blank")
        var config = Self.config
        config.baseline = .blank
        config.evaluate = false
        config.knockout = false
        config.maxImages = 2
        let runtime = PlantedRuntime()
        let summary = try AttributeStage(prepared: prepared, output: output, config: config, progressMode: .silent).run(runtime: runtime)
        #expect(summary.images.count == 2)
        #expect(summary.baselineImages == ["blank-40x40.png"])
        #expect(runtime.calls == 1 + 2 * (200 + 2))
        #expect(summary.curves.isEmpty && summary.flows.isEmpty)

        // A failing rerun leaves no finished manifest behind.
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
        let failing = PlantedRuntime()
        failing.failAfter = 5
        #expect(throws: AttributionError.self) {
            try AttributeStage(prepared: prepared, output: output, config: { var c = config; c.seed = 1; return c }(),
                               progressMode: .silent).run(runtime: failing)
        }
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
        // The images finished before are still complete and reused.
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("runs/000000000000-scene-circle-red.h5").path))

        config.masks = 3
        #expect(throws: AttributionError.self) {
            try AttributeStage(prepared: prepared, output: output, config: config, progressMode: .silent).run(runtime: runtime)
        }
        config.masks = 200
        config.split = "test"
        #expect(throws: AttributionError.self) {
            try AttributeStage(prepared: prepared, output: output, config: config, progressMode: .silent).run(runtime: runtime)
        }
    }
}
