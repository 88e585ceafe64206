import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeEngine
import HeadScopeIntervene
import Testing
import TestSupport

@Suite("Intervention stage on a model whose effects are known by construction")
struct InterventionStageTests {
    func row(_ table: SummaryTable, _ function: String, _ condition: String) throws -> SummaryTable.Row {
        try #require(table.rows.first { $0.function == function && $0.condition == condition },
                     "no row \(function) / \(condition) in \(table.rows.map { "\($0.function)/\($0.condition)" })")
    }

    @Test("ablating the designated head is harmful; random, bottom-k and other-function controls are harmless")
    func designatedHeadAndControls() throws {
        let world = try TestWorld()
        let runtime = world.runtime()
        let summary = try world.stage(runtime, settings: TestWorld.settings()).run()
        let table = summary.table

        let top = try row(table, "Low", "low--ablate-top")
        #expect(top.metric == "agreement")
        #expect(top.n == 12 && top.items == 12)
        #expect(top.value == 0 && top.accuracy == 0)
        #expect(top.delta == -1 && top.deltaCIHigh == -1)
        #expect(top.verdict == "harmful")

        for seed in [42, 43, 44] {
            let control = try row(table, "Low", "low--ablate-random-s\(seed)")
            #expect(control.value == 1 && control.verdict == "no effect" && control.heads == 2)
        }
        let aggregate = try row(table, "Low", "ablate-random (3 seeds)")
        #expect(aggregate.seeds == [42, 43, 44])
        #expect(aggregate.spread == SummaryTable.Spread(mean: 1, std: 0, min: 1, max: 1))
        #expect(try row(table, "Low", "low--ablate-bottom").verdict == "no effect")
        #expect(try row(table, "Low", "low--ablate-other-other").verdict == "no effect")
        #expect(try row(table, "Low", "low--ablate-other-high").verdict == "no effect")
        // Low's heads do nothing to the other functions' own subquestions.
        #expect(try row(table, "High", "high--ablate-other-low").value == 1)
        #expect(try row(table, "Other", "other--ablate-other-low").value == 1)

        // The random heads come from outside the top set; the bottom heads are the lowest-ranked.
        let conditions = Dictionary(uniqueKeysWithValues: summary.conditions.map { ($0.name, $0) })
        for seed in [42, 43, 44] {
            let heads = try #require(conditions["low--ablate-random-s\(seed)"]).heads
            #expect(heads.count == 2 && Set(heads).isDisjoint(with: TestWorld.top["Low"] ?? []))
        }
        // Scores fall in grid order outside the top set, so the last two grid heads are lowest.
        #expect(conditions["low--ablate-bottom"]?.heads == [HeadRef(layer: 2, head: 2), HeadRef(layer: 2, head: 3)])

        // Each condition's plan is saved and is exactly what was run.
        let planURL = world.output.appendingPathComponent("conditions/low--ablate-top.plan.json")
        let plan = try JSONDecoder().decode(InterpretabilityPlan.self, from: Data(contentsOf: planURL))
        #expect(plan.edits == [
            HeadEdit(layer: 1, head: 2, positions: .generated, operation: .scale(1e-4)),
            HeadEdit(layer: 0, head: 0, positions: .generated, operation: .scale(1e-4)),
        ])
        #expect(runtime.seenPlans.contains(plan))
        #expect(summary.conditionsRun == summary.conditions.count && summary.conditionsSkipped == 0)
        // Sessions stay open across conditions: each of the 12 test images is encoded once.
        #expect(summary.sessionsOpened == 12)
    }

    @Test("without the session cache the results are the same")
    func sessionCacheDoesNotChangeResults() throws {
        let world = try TestWorld()
        let a = world.root.appendingPathComponent("a"), b = world.root.appendingPathComponent("b")
        let cached = try world.stage(world.runtime(), settings: TestWorld.settings(), output: a).run()
        var stage = world.stage(world.runtime(), settings: TestWorld.settings(), output: b)
        stage.sessionCacheSize = 0
        let uncached = try stage.run()
        #expect(uncached.sessionsOpened > cached.sessionsOpened)
        #expect(try Data(contentsOf: a.appendingPathComponent("summary.json")) == Data(contentsOf: b.appendingPathComponent("summary.json")))
    }

    @Test("hierarchy: ablating Low's heads along the chain breaks the later High steps")
    func hierarchy() throws {
        let world = try TestWorld()
        var settings = TestWorld.settings()
        settings.randomSeeds = []
        settings.otherFunctionControls = false
        settings.steering = false
        let table = try world.stage(world.runtime(), settings: settings).run().table
        // Un-ablated, High fails only where the model's own wrong `Other` answer (items 0, 3, 6, 9)
        // is fed forward; with Low's heads ablated, every chain carries a wrong Low answer.
        let base = try row(table, "High", "chains--base (after Low)")
        #expect(base.n == 12 && abs(base.value - 8.0 / 12) < 1e-12)
        let ablated = try row(table, "High", "chains--ablate-low")
        #expect(ablated.lowFunction == "Low")
        #expect(ablated.value == 0 && abs(ablated.baseValue - 8.0 / 12) < 1e-12 && ablated.verdict == "harmful")
        // Asked on its own (no context), High does not depend on Low's heads.
        #expect(try row(table, "High", "high--ablate-top").value == 1)
        let records = try String(contentsOf: world.output.appendingPathComponent("conditions/chains--ablate-low.jsonl"), encoding: .utf8)
        #expect(records.split(separator: "\n").count == 36)   // 12 chains x 3 steps walked
    }

    @Test("automatic hierarchy pairs follow the chains' order; only the pair with a real dependence shows a drop")
    func automaticHierarchy() throws {
        let world = try TestWorld()
        var settings = TestWorld.settings()
        settings.hierarchy = []
        settings.hierarchyAuto = true
        settings.hierarchyMinimumChains = 12
        settings.randomSeeds = []
        settings.otherFunctionControls = false
        settings.steering = false
        let summary = try world.stage(world.runtime(), settings: settings).run()
        // Chains are Low, Other, High: three ordered pairs, two low functions to ablate.
        #expect(summary.conditions.filter { $0.kind == .chainAblate }.map(\.name) == ["chains--ablate-low", "chains--ablate-other"])
        let rows = summary.table.rows.filter { $0.kind == .chainAblate }
        #expect(rows.map { "\($0.lowFunction ?? "")>\($0.function)" }.sorted() == ["Low>High", "Low>Other", "Other>High"])
        for row in rows {
            #expect(row.verdict == (row.lowFunction == "Low" && row.function == "High" ? "harmful" : "no effect"),
                    "\(row.lowFunction ?? "")>\(row.function): \(row.verdict)")
        }
    }

    @Test("steering the top heads of Other along its ITI direction repairs the answers it got wrong")
    func steering() throws {
        let world = try TestWorld()
        var settings = TestWorld.settings()
        settings.alphas = [1, 0.1]
        settings.latentRanks = 3...4
        let summary = try world.stage(world.runtime(), settings: settings).run()
        let base = try row(summary.table, "Other", "base")
        #expect(base.n == 12 && abs(base.value - 8.0 / 12) < 1e-12)
        let steered = try row(summary.table, "Other", "other--steer-top-a1")
        #expect(steered.metric == "accuracy" && steered.value == 1)
        #expect(abs(steered.delta - 4.0 / 12) < 1e-12 && steered.verdict == "helpful")
        // alpha 0.1 adds 0.1 sigma: too weak to cross the fake model's threshold.
        #expect(try row(summary.table, "Other", "other--steer-top-a0.1").value == base.value)
        // Ranks 3-4 of Other's ranking (the first two heads outside the top set) miss head (0, 3).
        let latent = try #require(summary.conditions.first { $0.name == "other--steer-ranks-3-4-a1" })
        #expect(latent.heads == [HeadRef(layer: 0, head: 0), HeadRef(layer: 0, head: 1)])
        #expect(try row(summary.table, "Other", "other--steer-ranks-3-4-a1").verdict == "no effect")

        // The added vector is alpha * sigma * unit(mean correct - mean incorrect), recomputed here
        // from the rows written to the store.
        let condition = try #require(summary.conditions.first { $0.name == "other--steer-top-a1" })
        let edit = try #require(condition.plan.edits.first { $0.layer == 0 && $0.head == 3 })
        guard case .add(let vector) = edit.operation else { Issue.record("not an add"); return }
        let cell = (0 * TestWorld.heads + 3) * TestWorld.headDim
        let train = world.rows.filter { $0.function == "Other" && $0.split == "train" }
        func mean(_ rows: [ActivationRow]) -> [Double] {
            (0..<2).map { d in rows.map { Double($0.z[cell + d]) }.reduce(0, +) / Double(rows.count) }
        }
        let p = mean(train.filter(\.correct)), n = mean(train.filter { !$0.correct })
        let diff = [p[0] - n[0], p[1] - n[1]]
        let norm = (diff[0] * diff[0] + diff[1] * diff[1]).squareRoot()
        let unit = diff.map { $0 / norm }
        let projections = train.map { Double($0.z[cell]) * unit[0] + Double($0.z[cell + 1]) * unit[1] }
        let m = projections.reduce(0, +) / Double(projections.count)
        let sigma = (projections.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(projections.count)).squareRoot()
        #expect(vector.count == 2)
        for d in 0..<2 { #expect(abs(Double(vector[d]) - sigma * unit[d]) < 1e-5) }
        #expect(edit.positions == .generated)
    }

    @Test("mean ablation replaces z by the store's mean; --positions all edits every position")
    func meanAblation() throws {
        let world = try TestWorld()
        var settings = TestWorld.settings()
        settings.ablation = .mean
        settings.positions = .all
        settings.steering = false
        let summary = try world.stage(world.runtime(), settings: settings).run()
        let condition = try #require(summary.conditions.first { $0.name == "low--ablate-top" })
        let edit = try #require(condition.plan.edits.first)
        #expect(edit.layer == 1 && edit.head == 2 && edit.positions == .all)
        guard case .replace(let vector) = edit.operation else { Issue.record("not a replace"); return }
        let cell = (1 * TestWorld.heads + 2) * TestWorld.headDim
        for d in 0..<2 {
            let expected = world.rows.map { Double($0.z[cell + d]) }.reduce(0, +) / Double(world.rows.count)
            #expect(abs(Double(vector[d]) - expected) < 1e-5)
        }
        #expect(try row(summary.table, "Low", "low--ablate-top").verdict == "harmful")
    }

    @Test("outputs: summary, Markdown table, well-formed SVG charts, manifest")
    func outputs() throws {
        let world = try TestWorld()
        try world.stage(world.runtime(), settings: TestWorld.settings()).run()
        let markdown = try String(contentsOf: world.output.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("## Low") && markdown.contains("| low--ablate-top | 2 | 12 | agreement | 0.000 "))
        let figures = try FileManager.default.contentsOfDirectory(atPath: world.output.appendingPathComponent("figures").path).sorted()
        #expect(figures.contains("ablation-low.svg") && figures.contains("steering-other.svg") && figures.contains("hierarchy-high.svg"))
        // Parsed by Python's XML parser: well-formed, one bar per ablation condition of Low
        // (top, 3 random seeds as one aggregate bar, bottom, 2 other functions).
        let count = try TestSupport.python("""
        import sys, xml.etree.ElementTree as ET
        root = ET.parse(sys.argv[1]).getroot()
        print(len(root.findall('.//{http://www.w3.org/2000/svg}rect')))
        """, [world.output.appendingPathComponent("figures/ablation-low.svg").path])
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "5")
        let manifest = try Manifest.load(stageDirectory: world.output, expectingStage: "intervene")
        #expect(Set(manifest.inputs.map(\.role)).isSuperset(of: ["prepared-items", "functional-heads", "probe-scores", "activations-index"]))
        #expect(manifest.counts["conditions_run"] == manifest.counts["conditions"])
        try manifest.verifyOutputs(in: world.output)
        try manifest.verifyInputs(relativeTo: world.root)
    }
}
