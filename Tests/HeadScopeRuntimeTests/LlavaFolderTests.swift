import Foundation
import HeadScopeEngine
@testable import HeadScopeRuntime
import Testing
import TestSupport

/// A LLaVA checkpoint folder (Tests/Fixtures/engine/llava_clip_llama completed with the tokenizer,
/// template and processor of Tests/Fixtures/runtime/llava) against transformers' LlavaProcessor
/// and LlavaForConditionalGeneration (scripts/fixtures/runtime.py).
@Suite("LLaVA folders")
struct LlavaFolderTests {
    struct Golden: Decodable { var user_text: String; var assistant_prefix: String }

    static let fixture = RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/runtime/llava")

    /// A scratch copy of the checkpoint with the tokenizer and processor files added.
    static func folder(_ label: String = "llava-folder") throws -> URL {
        let folder = try TestSupport.scratchDirectory(label).appendingPathComponent("llava_clip_llama")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let checkpoint = RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/engine/llava_clip_llama")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: checkpoint.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for name in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    @Test("ids (image tokens expanded as the processor does), logits and greedy tokens match transformers")
    func parity() throws {
        let runtime = try EngineRuntime.load(folder: Self.folder())
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("golden.json")))
        let tensors = try GoldenTensors("runtime/llava/golden.safetensors")
        let pixels = try runtime.imageInput.pixels(of: Self.fixture.appendingPathComponent("image.png"))
        if let problem = mismatch(pixels.values, try tensors.require("pixel_values").values, relative: 0, absolute: 1e-5, label: "pixel_values") {
            Issue.record("\(problem)")
        }
        let session = try runtime.session(image: Self.fixture.appendingPathComponent("image.png"))
        let layout = try session.layout(userText: golden.user_text, assistantPrefix: golden.assistant_prefix)
        #expect(layout.ids == (try tensors.require("input_ids").int64Values.map(Int.init)))
        #expect(layout.imagePositions == Array(8..<24) && layout.imageGrid.rows == 4 && layout.imageGrid.columns == 4)
        #expect(runtime.decode(Array(layout.ids[layout.userTextPositions])) == golden.user_text)
        #expect(runtime.decode(layout.rolePositions.map { layout.ids[$0] }) == "ASSISTANT:")

        let scored = try session.lastPositionLogits(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: .init())
        if let problem = mismatch(scored.logits, try tensors.require("logits").values, relative: 1e-4, absolute: 2e-5, label: "logits") {
            Issue.record("\(problem)")
        }
        let turn = try session.generate(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: .init(),
                                        maxNewTokens: 6, stopAfter: nil)
        #expect(turn.tokens == (try tensors.require("generated").int64Values.map(Int.init)))
        #expect(runtime.geometry == DecoderGeometry(layers: 2, heads: 4, headDim: 8))
    }

    @Test("captures address the layout's positions, and a second question reuses the image prefix")
    func capturesThroughSession() throws {
        let runtime = try EngineRuntime.load(folder: Self.folder("llava-captures"))
        let session = try runtime.session(image: Self.fixture.appendingPathComponent("image.png"))
        let layout = try session.layout(userText: "Is the cube red?", assistantPrefix: "")
        var plan = InterpretabilityPlan()
        plan.zCaptures = [CaptureRequest(positions: .list(layout.rolePositions))]
        let first = try session.lastPositionLogits(userText: "Is the cube red?", assistantPrefix: "", plan: plan)
        let again = try session.lastPositionLogits(userText: "Is the cube red?", assistantPrefix: "", plan: plan)
        #expect(first.captures.z.first?.positions == layout.rolePositions)
        // The second run reuses the first one's prompt up to the role positions it captures, so it
        // computes fewer rows at once: equal up to float rounding.
        if let problem = mismatch(first.logits, again.logits, relative: 1e-5, absolute: 1e-6, label: "again vs first") {
            Issue.record("\(problem)")
        }
        #expect(again.captures.z.first?.values.count == first.captures.z.first?.values.count)
        // The same prompt run from scratch (no session) gives the same logits.
        let pixels = try runtime.imageInput.pixels(of: Self.fixture.appendingPathComponent("image.png"))
        let direct = try runtime.model.forward(tokens: layout.ids, images: [pixels], logits: .last)
        if let problem = mismatch(first.logits, direct.logits, relative: 1e-5, absolute: 1e-6, label: "session vs direct") {
            Issue.record("\(problem)")
        }
    }

    @Test("missing folders, tokenizers and processors are named")
    func errors() throws {
        do { _ = try EngineRuntime.load(folder: URL(fileURLWithPath: "/nonexistent/model")); Issue.record("loaded a missing folder") }
        catch let error as RuntimeError { #expect(error.description.contains("/nonexistent/model")) }
        let folder = try Self.folder("llava-errors")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("preprocessor_config.json"))
        do { _ = try EngineRuntime.load(folder: folder); Issue.record("loaded without a processor") }
        catch let error as RuntimeError { #expect(error.description.contains("preprocessor_config.json")) }
        let runtime = try EngineRuntime.load(folder: Self.folder("llava-errors-2"))
        do { _ = try runtime.session(image: folder.appendingPathComponent("none.png")); Issue.record("opened a missing image") }
        catch let error as RuntimeError { #expect(error.description.contains("none.png")) }
    }
}
