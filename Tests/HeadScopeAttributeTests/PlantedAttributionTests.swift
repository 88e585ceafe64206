import Foundation
import Testing
import TestSupport
import HeadScopeEngine
import HeadScopeRuntime
@testable import HeadScopeAttribute

@Suite struct PlantedAttributionTests {
    static let image = URL(fileURLWithPath: "/nonexistent/scene-circle-red.png")

    static func attributor(_ runtime: PlantedRuntime, config: AttributionConfig) throws -> ImageAttributor {
        let baseline = try BaselineKV.capture(runtime: runtime, images: [URL(fileURLWithPath: "/ref/a.png"), URL(fileURLWithPath: "/ref/b.png")],
                                              userText: "What is the main object?", assistantPrefix: "")
        return try ImageAttributor(session: try runtime.session(image: image), userText: "What is the main object?",
                                   config: config, baseline: baseline, target: PlantedRuntime.target, imageID: "img")
    }

    @Test(arguments: RegressionMethod.allCases)
    func regressionRecoversPlantedHeads(method: RegressionMethod) throws {
        let runtime = PlantedRuntime(noise: 0.05)
        let config = AttributionConfig(masks: 600, keepProbability: 0.8, seed: 42,
                                       fit: FitSettings(method: method, ridgeLambda: 1), topK: 4)
        let a = try Self.attributor(runtime, config: config)
        let runs = try a.sampleRuns(imageID: "img", itemID: "item", fingerprint: "f")
        #expect(runs.count == 600)
        #expect(runtime.calls == 2 + 600 + 2)  // two baseline captures, masks, full, empty
        let fit = try AttributionFitter.fit(masks: runs.masks, heads: 16, outcomes: runs.logits, settings: config.fit)
        let grid = HeadGrid(layers: 4, heads: 4)
        let top = Set(fit.ranking(grid: grid).prefix(4))
        #expect(top == Set(PlantedRuntime.plantedCircle.keys))
        #expect(fit.heldOutCorrelation > 0.9, "held-out r = \(fit.heldOutCorrelation)")
        #expect(fit.heldOutCount == 120)
        // Coefficients estimate the planted weights; the intercept estimates b0.
        for (head, weight) in PlantedRuntime.plantedCircle {
            #expect(abs(fit.fit.coefficients[grid.index(of: head)] - Double(weight)) < 0.15, "\(head)")
        }
        #expect(abs(fit.fit.intercept - 0.5) < 0.2)
        if method == .lasso {
            // The validated penalty keeps irrelevant heads near 0; a moderate one sets them exactly to 0.
            for j in 0..<16 where !top.contains(grid.head(at: j)) { #expect(abs(fit.fit.coefficients[j]) < 0.05) }
            let x = try DesignMatrix(rows: 480, columns: 16, values: runs.masks.prefix(480 * 16).map { Double($0) })
            let moderate = try LinearRegression.lasso(x, runs.logits.prefix(480).map { Double($0) }, lambda: 0.05)
            for j in 0..<16 {
                if top.contains(grid.head(at: j)) { #expect(moderate.coefficients[j] > 0.3) }
                else { #expect(moderate.coefficients[j] == 0, "head \(grid.head(at: j)) = \(moderate.coefficients[j])") }
            }
        }
        // Full and empty runs: all planted weights, and none.
        #expect(abs(runs.full.logit - 6.0) < 0.3)
        #expect(abs(runs.empty.logit - 0.5) < 0.3)
    }

    @Test func randomMasksSeeRedundantHeadsThatSingleAblationMisses() throws {
        let runtime = PlantedRuntime(noise: 0.05)
        let a1 = HeadID(layer: 2, head: 2), a2 = HeadID(layer: 3, head: 0)
        runtime.redundantPair = (a1, a2, 2.0)
        let config = AttributionConfig(masks: 600, keepProbability: 0.5, seed: 42, fit: FitSettings(method: .ols), topK: 6)
        let a = try Self.attributor(runtime, config: config)
        let runs = try a.sampleRuns(imageID: "img", itemID: "item", fingerprint: "f")
        let fit = try AttributionFitter.fit(masks: runs.masks, heads: 16, outcomes: runs.logits, settings: config.fit)
        let grid = a.grid
        // Either head alone: no effect when the other keeps access.
        let single = try a.singleHeadEffects(full: runs.full)
        #expect(abs(single[grid.index(of: a1)]) < 0.2 && abs(single[grid.index(of: a2)]) < 0.2)
        // Under random masks each is worth w (1 - p) = 1 on average: both enter the top six.
        #expect(abs(fit.fit.coefficients[grid.index(of: a1)] - 1) < 0.2)
        #expect(abs(fit.fit.coefficients[grid.index(of: a2)] - 1) < 0.2)
        #expect(Set(fit.ranking(grid: grid).prefix(6)) == Set(PlantedRuntime.plantedCircle.keys).union([a1, a2]))
    }

    @Test func ablationPlanReplacesOnlyImagePositionsWithBaseline() throws {
        let runtime = PlantedRuntime()
        let a = try Self.attributor(runtime, config: AttributionConfig(masks: 10))
        var keep = [UInt8](repeating: 1, count: 16)
        keep[5] = 0; keep[14] = 0
        let plan = a.baseline.plan(keep: keep[...])
        #expect(plan.kvReplacements.map { HeadID(layer: $0.layer, head: $0.head) } == [HeadID(layer: 1, head: 1), HeadID(layer: 3, head: 2)])
        for r in plan.kvReplacements {
            #expect(r.positions == PlantedRuntime.imagePositions)
            #expect(r.keys.count == 16 * 2 && r.values.count == 16 * 2)
        }
        // The mean baseline is the position-wise mean of the two reference images' keys.
        let sa = PlantedSession(runtime: runtime, image: URL(fileURLWithPath: "/ref/a.png"))
        let sb = PlantedSession(runtime: runtime, image: URL(fileURLWithPath: "/ref/b.png"))
        let r = plan.kvReplacements[1]
        let expectedKey = (sa.kv(3, 2, 4, 1, value: false) + sb.kv(3, 2, 4, 1, value: false)) / 2
        let expectedValue = (sa.kv(3, 2, 4, 1, value: true) + sb.kv(3, 2, 4, 1, value: true)) / 2
        #expect(abs(r.keys[3 * 2 + 1] - expectedKey) < 1e-6)   // position 4 is the 4th image token (index 3)
        #expect(abs(r.values[3 * 2 + 1] - expectedValue) < 1e-6)
        #expect(plan.edits.isEmpty && plan.blocks.isEmpty)
    }

    @Test func curvesRankPlantedHeadsFirst() throws {
        let runtime = PlantedRuntime(noise: 0.01)
        let config = AttributionConfig(masks: 300, keepProbability: 0.8, topK: 4)
        let a = try Self.attributor(runtime, config: config)
        let full = try a.outcome(ablating: []), empty = try a.outcome(ablating: a.grid.all)
        let single = try a.singleHeadEffects(full: full)
        let grid = a.grid
        // Single-head ablation finds planted heads here (no redundancy in this fake).
        #expect(Set(HeadRanking.order(scores: single, grid: grid).prefix(4)) == Set(PlantedRuntime.plantedCircle.keys))
        let attention = try a.attentionScores()
        #expect(abs(attention[grid.index(of: HeadID(layer: 2, head: 3))] - 5.0 / 8) < 1e-5)
        let ranking = HeadRanking.order(scores: grid.all.map { Double(PlantedRuntime.plantedCircle[$0] ?? 0) }, grid: grid)
        let curves = try a.curves(name: "planted", ranking: ranking, sizes: [0, 4, 16], full: full, empty: empty)
        // Keeping only the 4 planted heads keeps the whole answer; ablating them loses it all.
        #expect(abs(curves.faithfulness[1].outcome.logit - full.logit) < 0.1)
        #expect(abs(curves.completeness[1].outcome.logit - empty.logit) < 0.1)
        #expect(curves.faithfulness[0].outcome == empty && curves.completeness[2].outcome == empty)
    }

    @Test func sameSeedSameMasksDifferentSeedOrImageDiffers() throws {
        let s = KeepMaskSampler(keepProbability: 0.9, seed: 42)
        let a = s.masks(count: 50, heads: 16, stream: "img-1")
        #expect(a == s.masks(count: 50, heads: 16, stream: "img-1"))
        #expect(a != s.masks(count: 50, heads: 16, stream: "img-2"))
        #expect(a != KeepMaskSampler(keepProbability: 0.9, seed: 43).masks(count: 50, heads: 16, stream: "img-1"))
        let rate = Double(a.map(Int.init).reduce(0, +)) / Double(a.count)
        #expect(abs(rate - 0.9) < 0.05)
        // Whole runs are deterministic too.
        let config = AttributionConfig(masks: 40, keepProbability: 0.9, seed: 7)
        let r1 = try Self.attributor(PlantedRuntime(), config: config).sampleRuns(imageID: "x", itemID: "i", fingerprint: "f")
        let r2 = try Self.attributor(PlantedRuntime(), config: config).sampleRuns(imageID: "x", itemID: "i", fingerprint: "f")
        #expect(r1 == r2)
    }

    @Test func runsFileRoundTripsAndH5pyReadsIt() throws {
        let config = AttributionConfig(masks: 30, keepProbability: 0.7, seed: 1)
        let runs = try Self.attributor(PlantedRuntime(), config: config).sampleRuns(imageID: "img", itemID: "it", fingerprint: "fp")
        let dir = try TestSupport.scratchDirectory("runs")
        let url = dir.appendingPathComponent("img.h5")
        try RunsFile.save(runs, to: url)
        #expect(try RunsFile.load(from: url) == runs)
        let out = try TestSupport.python("""
        import sys, h5py
        f = h5py.File(sys.argv[1], "r")
        print(f["masks"].shape[0], f["masks"].shape[1], int(f["masks"][()].sum()), float(f["logit"][()].astype("float64").sum()), f.attrs["image_id"])
        """, [url.path])
        let fields = out.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(fields.count == 5)
        let kept = runs.masks.map(Int.init).reduce(0, +)
        #expect(Array(fields.prefix(3)) == ["30", "16", String(kept)])
        let swiftSum: Double = runs.logits.map(Double.init).reduce(0, +)
        let pythonSum: Double = Double(fields[3]) ?? .nan
        #expect(abs(pythonSum - swiftSum) < 1e-9)
        #expect(fields.last == "img")
    }

    @Test func benchTimesTheBenchStreamsMasksUnderTheBaseline() throws {
        let runtime = PlantedRuntime()
        let references = [URL(fileURLWithPath: "/ref/a.png")]
        let result = try AttributionBench.modelRunsPerSecond(runtime: runtime, image: Self.image, userText: "q",
                                                             target: PlantedRuntime.target, baselineImages: references,
                                                             runs: 10, repeats: 2)
        #expect(result.modelRunsPerSecond > 0)
        #expect(result.bestRunsPerSecond >= result.modelRunsPerSecond)
        #expect(result.heads == 16 && result.runs == 10 && result.repeats == 2 && result.repeatSeconds.count == 2)
        #expect(abs(result.wallSeconds - result.repeatSeconds.reduce(0, +)) < 1e-12)
        // Baseline capture, the unablated warm-up, then 2 x 10 timed runs.
        #expect(runtime.calls == 1 + 1 + 20)
        #expect(result.promptTokens == 24 && result.imageTokens == 16 && result.firstImagePosition == 1)

        // The recorded logits are those of the masks KeepMaskSampler draws for the bench stream,
        // each run under the reference images' baseline (the planted logit depends on which heads
        // lose image access, so another mask or no replacement gives another value).
        let masks = KeepMaskSampler(keepProbability: 0.9, seed: 42).masks(count: 10, heads: 16, stream: AttributionBench.maskStream)
        #expect(result.keptHeads == masks.map(Int.init).reduce(0, +))
        let baseline = try BaselineKV.capture(runtime: runtime, images: references, userText: "q", assistantPrefix: "")
        let session = try runtime.session(image: Self.image)
        let expected = try (0..<10).map { i in
            try session.lastPositionLogits(userText: "q", assistantPrefix: "",
                                           plan: baseline.plan(keep: masks[(i * 16)..<((i + 1) * 16)])).logits[PlantedRuntime.target]
        }
        #expect(result.targetLogits == expected)
        #expect(Set(expected).count > 1)
        let full = try session.lastPositionLogits(userText: "q", assistantPrefix: "", plan: .init()).logits[PlantedRuntime.target]
        #expect(result.fullLogit == full)
        #expect(result.targetToken == PlantedRuntime.target)
    }
}
