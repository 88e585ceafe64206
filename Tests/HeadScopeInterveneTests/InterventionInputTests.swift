import Foundation
import HeadScopeIntervene
import Testing
import TestSupport

@Suite("Intervention stage: bad inputs, resuming, determinism")
struct InterventionInputTests {
    /// Runs the stage and returns the description of the error it stops with.
    func failure(_ world: TestWorld, _ settings: InterventionSettings = TestWorld.settings(),
                 activations: Bool = true) throws -> String {
        do {
            try world.stage(world.runtime(), settings: settings, activations: activations).run()
        } catch {
            #expect(!FileManager.default.fileExists(atPath: world.output.appendingPathComponent("manifest.json").path))
            return String(describing: error)
        }
        Issue.record("the stage did not refuse its input")
        return ""
    }

    @Test("probes of another geometry are refused, naming both geometries")
    func otherGeometry() throws {
        let message = try failure(TestWorld(probeHeads: 5))
        #expect(message.contains("3 layers x 5 heads x head_dim 2"), "\(message)")
        #expect(message.contains("fake-vlm` has 3 x 4 x 2"), "\(message)")
        #expect(message.contains("make extract probe"))
    }

    @Test("probes of another model (same geometry, other weights) are refused")
    func otherModel() throws {
        let message = try failure(TestWorld(probeModelSHA: "beef"))
        #expect(message.contains("another model") && message.contains("beef"), "\(message)")
    }

    @Test("a function without functional heads is named")
    func emptyHeadSet() throws {
        let message = try failure(TestWorld(emptyTopFor: "Other"))
        #expect(message.contains("function `Other` has no functional heads"), "\(message)")
        #expect(message.contains("functional_heads.json"))
    }

    @Test("an empty test split is refused, listing the splits present")
    func emptyTestSplit() throws {
        let message = try failure(TestWorld(testSplitName: "validation"))
        #expect(message.contains("test split `test` is empty"), "\(message)")
        #expect(message.contains("splits present: train, validation"), "\(message)")
    }

    @Test("steering without an activation store is refused with the option to pass")
    func steeringNeedsActivations() throws {
        let message = try failure(TestWorld(), activations: false)
        #expect(message.contains("--activations"), "\(message)")
        var settings = TestWorld.settings()
        settings.steering = false
        let world = try TestWorld()
        let summary = try world.stage(world.runtime(), settings: settings, activations: false).run()
        #expect(!summary.conditions.contains { $0.kind == .steerTop })
    }

    @Test("an unknown function and a hierarchy pair that never occurs are refused")
    func unknownNames() throws {
        var settings = TestWorld.settings()
        settings.functions = ["Lo"]
        #expect(try failure(TestWorld(), settings).contains("function `Lo` has no probes (functions here: Low, Other, High)"))
        settings = TestWorld.settings()
        settings.hierarchy = [.init(low: "High", high: "Low")]
        #expect(try failure(TestWorld(), settings).contains("no test chain has a `High` step before a `Low` step"))
    }

    @Test("finished conditions are not rerun; the result is the same as one uninterrupted run")
    func resume() throws {
        let world = try TestWorld()
        let first = try world.stage(world.runtime(), settings: TestWorld.settings()).run()
        let summaryURL = world.output.appendingPathComponent("summary.json")
        let before = try Data(contentsOf: summaryURL)
        try FileManager.default.removeItem(at: world.output.appendingPathComponent("conditions/low--ablate-random-s43.jsonl"))
        let runtime = world.runtime()
        let second = try world.stage(runtime, settings: TestWorld.settings()).run()
        #expect(second.conditionsRun == 1 && second.conditionsSkipped == first.conditions.count - 1)
        #expect(runtime.calls == 12)   // Low's 12 test subquestions the model had right
        #expect(try Data(contentsOf: summaryURL) == before)

        // Other settings in the same folder are refused rather than mixed in.
        var other = TestWorld.settings()
        other.scale = 0.5
        do {
            try world.stage(world.runtime(), settings: other).run()
            Issue.record("a run with other settings was accepted")
        } catch {
            #expect(String(describing: error).contains("results of a run with other settings"))
        }
    }

    @Test("a run stopped part-way leaves only whole results; the rerun finishes with the uninterrupted table")
    func interruptedRun() throws {
        let world = try TestWorld()
        let reference = world.root.appendingPathComponent("reference")
        try world.stage(world.runtime(), settings: TestWorld.settings(), output: reference).run()
        // Stop inside the fifth condition's subquestions (base: 36, then 12 per Low condition).
        let failing = FakeRuntime(gold: world.gold, failAfter: 36 + 12 * 3 + 5)
        #expect(throws: FakeRuntime.Interrupted.self) { try world.stage(failing, settings: TestWorld.settings()).run() }
        let conditions = world.output.appendingPathComponent("conditions")
        let names = try FileManager.default.contentsOfDirectory(atPath: conditions.path)
        #expect(names.filter { $0.hasSuffix(".jsonl") }.count == 4)
        #expect(!names.contains { $0.hasPrefix(".") }, "a temporary was left: \(names)")
        #expect(!FileManager.default.fileExists(atPath: world.output.appendingPathComponent("manifest.json").path))
        let runtime = world.runtime()
        let summary = try world.stage(runtime, settings: TestWorld.settings()).run()
        #expect(summary.conditionsSkipped == 4)
        for name in ["summary.json", "summary.md", "conditions.json"] {
            #expect(try Data(contentsOf: world.output.appendingPathComponent(name)) == Data(contentsOf: reference.appendingPathComponent(name)), "\(name)")
        }
    }

    @Test("same seeds give the same controls and the same table; another seed other heads")
    func determinism() throws {
        let world = try TestWorld()
        let a = world.root.appendingPathComponent("a"), b = world.root.appendingPathComponent("b")
        try world.stage(world.runtime(), settings: TestWorld.settings(), output: a).run()
        try world.stage(world.runtime(), settings: TestWorld.settings(), output: b).run()
        for name in ["summary.json", "summary.md", "conditions.json", "figures/ablation-low.svg"] {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)), "\(name)")
        }
        let top = TestWorld.top["Low"] ?? []
        let draws = (0..<8).map { ControlHeads.random(count: 2, excluding: top, layers: 3, heads: 4, seed: UInt64($0), function: "Low") }
        #expect(draws[0] == ControlHeads.random(count: 2, excluding: top, layers: 3, heads: 4, seed: 0, function: "Low"))
        #expect(Set(draws.map { $0.map(\.description).joined() }).count > 1)
        // The stream depends on the function, so functions get their own draws.
        let otherFunction = (0..<8).map { ControlHeads.random(count: 2, excluding: top, layers: 3, heads: 4, seed: UInt64($0), function: "High") }
        #expect(draws != otherFunction)
    }
}
