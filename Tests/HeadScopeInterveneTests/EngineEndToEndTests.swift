import Foundation
import HeadScopeActivations
import HeadScopeCore
import HeadScopeEngine
import HeadScopeIntervene
import HeadScopeProbe
import HeadScopeQA
import HeadScopeRuntime
import Testing
import TestSupport

/// `headscope-intervene` on a real (tiny, random) LLaVA checkpoint through the engine: the
/// engine's fixture checkpoint completed with the runtime fixture's tokenizer and processor.
@Suite("headscope-intervene on the engine")
struct EngineEndToEndTests {
    static let root = TestSupport.repositoryRoot

    /// A scratch LLaVA folder (as the runtime's folder tests build it).
    static func modelFolder(in directory: URL) throws -> URL {
        let folder = directory.appendingPathComponent("llava")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let checkpoint = root.appendingPathComponent("Tests/Fixtures/engine/llava_clip_llama")
        let runtime = root.appendingPathComponent("Tests/Fixtures/runtime/llava")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: checkpoint.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: runtime.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// prepared/ with `items` chains of two steps (Low, High) on copies of the fixture image;
    /// `reference(n, step)` gives the reference answers.
    static func writePrepared(_ directory: URL, items: Int, reference: (Int, Int) -> String = { _, _ in "red" }) throws {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var lines: [String] = []
        for n in 0..<items {
            let image = images.appendingPathComponent("img-\(n).png")
            try? FileManager.default.removeItem(at: image)
            try FileManager.default.copyItem(at: root.appendingPathComponent("Tests/Fixtures/runtime/llava/image.png"), to: image)
            let item: [String: Any] = [
                "id": "item-\(n)", "image_id": "img-\(n)", "question": "What is in image \(n)?", "options": [String: String](),
                "final_answer": "a cube", "split": n == 0 ? "train" : "test",
                "steps": [["subquestion": Self.subquestions(n)[0], "answer": reference(n, 0), "function": "Low"],
                          ["subquestion": Self.subquestions(n)[1], "answer": reference(n, 1), "function": "High"]],
            ]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys]), as: UTF8.self))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("items.jsonl"), atomically: true, encoding: .utf8)
    }

    static func subquestions(_ n: Int) -> [String] { ["What colour is object \(n)?", "Is object \(n) a cube?"] }

    /// A store with the runtime's identity and geometry: seeded noise, a quarter judged incorrect.
    static func writeStore(_ directory: URL, runtime: any VLMRuntime) throws {
        let g = runtime.geometry
        var generator = SeededGenerator(seed: 5)
        var rows: [ActivationRow] = []
        for function in ["Low", "High"] {
            for r in 0..<24 {
                let z = (0..<(g.layers * g.heads * g.headDim)).map { _ in Float(generator.below(2001)) / 1000 - 1 + (function == "Low" ? 0.5 : 0) }
                rows.append(ActivationRow(itemID: "\(function)-\(r)", step: 0, function: function, subquestion: "q", referenceAnswer: "a",
                                          modelAnswer: "a", rawOutput: "", correct: r % 4 != 3, answerStart: 30, answerLength: 2,
                                          image: "images/img-0.png", split: r < 18 ? "train" : "test", z: z))
            }
        }
        let attributes = StoreAttributes(toolVersion: ToolVersion.string, modelID: runtime.identity.id, modelSHA256: runtime.identity.sha256,
                                         layers: g.layers, heads: g.heads, headDim: g.headDim, promptTemplate: "headscope-subquestion-v1",
                                         contextPolicy: "none", positionPolicy: "mean", judge: "normalized-match-v1")
        let store = ActivationStore(directory: directory)
        try FileManager.default.createDirectory(at: store.shardsURL, withIntermediateDirectories: true)
        try ShardFile.write(rows, attributes: attributes, index: 0, count: 1, to: store.shardURL(index: 0, count: 1))
        try store.buildIndex()
    }

    @Test("the executable runs every kind of condition on the engine; an identity edit (scale 1) changes no answer")
    func engineRun() throws {
        let work = try TestSupport.scratchDirectory("intervene-engine")
        let folder = try Self.modelFolder(in: work)
        let runtime = try RuntimeLoader.load(model: folder.path)
        let prepared = work.appendingPathComponent("prepared"), activations = work.appendingPathComponent("activations")
        let probes = work.appendingPathComponent("probes"), output = work.appendingPathComponent("interventions")
        // References are the model's own un-edited answers (asked without context, as the
        // per-step conditions ask), so every test step counts as answered right and every
        // ablation condition has steps to run.
        var answers: [String: String] = [:]
        for n in 0..<4 {
            let session = try runtime.session(image: Self.root.appendingPathComponent("Tests/Fixtures/runtime/llava/image.png"))
            for (step, subquestion) in Self.subquestions(n).enumerated() {
                let prompt = SubquestionPrompt(subquestion: subquestion, mainQuestion: "What is in image \(n)?")
                let turn = try session.generate(userText: prompt.text, assistantPrefix: SubquestionPrompt.answerPrefix, plan: .init(),
                                                maxNewTokens: 6, stopAfter: "]")
                answers["\(n)-\(step)"] = AnswerParser.parse(SubquestionPrompt.answerPrefix + turn.text).answer
            }
        }
        try Self.writePrepared(prepared, items: 4) { n, step in answers["\(n)-\(step)"] ?? "" }
        try Self.writeStore(activations, runtime: runtime)
        var options = ProbeOptions()
        options.permutations = 0
        try ProbeStage(activations: activations, output: probes, options: options, figures: false, progressMode: .silent).run()

        let executable = try ExecutableTests().executable
        let common = ["--prepared", prepared.path, "--probes", probes.path, "--activations", activations.path,
                      "--model", folder.path, "--max-new-tokens", "6", "--bootstrap", "50", "--random-seeds", "42",
                      "--hierarchy", "Low>High"]
        // Scale 1 multiplies z by one: every ablation condition must reproduce the base answers.
        let identity = try TestSupport.run(executable, common + ["--output", output.path, "--scale", "1"],
                                           environment: ["HEADSCOPE_PROGRESS": "off"])
        #expect(identity.status == 0, "\(identity.stderr)")
        let table = try JSONDecoder().decode(SummaryTable.self, from: Data(contentsOf: output.appendingPathComponent("summary.json")))
        let ablations = table.rows.filter { $0.kind.isAblation }
        #expect(ablations.count >= 6 && ablations.allSatisfy { $0.n == 3 })   // top, seed 42, bottom, other; two functions
        #expect(table.rows.filter { $0.kind == .base }.allSatisfy { $0.value == 1 })
        for row in ablations { #expect(row.value == 1, "\(row.function) \(row.condition): agreement \(row.value)") }
        let chain = try #require(table.rows.first { $0.kind == .chainAblate })
        #expect(chain.delta == 0)
        #expect(table.rows.contains { $0.kind == .steerTop })
        let manifest = try Manifest.load(stageDirectory: output, expectingStage: "intervene")
        if case .object(let configuration) = manifest.configuration, case .object(let model)? = configuration["model"] {
            #expect(model["sha256"] == .string(runtime.identity.sha256))
        } else {
            Issue.record("the manifest does not record the model")
        }
        let base = try String(contentsOf: output.appendingPathComponent("conditions/base.jsonl"), encoding: .utf8)
        #expect(base.split(separator: "\n").count == 6)   // 3 test chains x 2 steps

        // One recorded answer, rerun with headscope-run and the condition's plan, is reproduced.
        let firstLine = try #require(try String(contentsOf: output.appendingPathComponent("conditions/low--ablate-top.jsonl"), encoding: .utf8)
            .split(separator: "\n").first)
        let record = try JSONDecoder().decode(StepRecord.self, from: Data(firstLine.utf8))
        let run = try TestSupport.run(executable.deletingLastPathComponent().appendingPathComponent("headscope-run"), [
            "--model", folder.path, "--image", prepared.appendingPathComponent(try #require(record.image)).path,
            "--prompt", try #require(record.userText), "--answer-prefix", SubquestionPrompt.answerPrefix, "--stop-after", "]",
            "--max-new-tokens", "6", "--plan", output.appendingPathComponent("conditions/low--ablate-top.plan.json").path,
        ])
        #expect(run.status == 0 && !record.raw.isEmpty, "\(run.stderr)")
        #expect(run.stdout.contains(record.raw), "headscope-run said \(run.stdout), the stage recorded \(record.raw)")

        // The default ablation runs too (answers of a random model may or may not change).
        let ablated = try TestSupport.run(executable, common + ["--output", work.appendingPathComponent("ablated").path],
                                          environment: ["HEADSCOPE_PROGRESS": "off"])
        #expect(ablated.status == 0, "\(ablated.stderr)")
        let plan = try JSONDecoder().decode(InterpretabilityPlan.self, from: Data(contentsOf: work.appendingPathComponent("ablated/conditions/low--ablate-top.plan.json")))
        #expect(plan.edits.count == 1 && plan.edits.first?.operation == .scale(1e-4))
        // One random seed is drawn as its own bar: top, random, bottom, the other function.
        let svg = try String(contentsOf: work.appendingPathComponent("ablated/figures/ablation-low.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 4)
        #expect(svg.contains("ablate-random-s42"))
    }
}
