import Foundation
import HeadScopeEngine
@testable import HeadScopeRuntime
import Testing
import TestSupport

/// The assembled built-in model against PyTorch (scripts/fixtures/builtin.py), with the fixture's
/// random connector standing in for the trained one.
@Suite("Built-in model", .serialized)
struct BuiltinModelTests {
    struct Golden: Decodable { var user_text: String; var answer_prefix: String; var image_token_id: Int }

    static let fixtures = RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/builtin")

    static func load() throws -> EngineRuntime {
        try BuiltinModel.load(description: BuiltinModel.descriptionURL(repositoryRoot: RuntimeFixtures.root),
                              repositoryRoot: RuntimeFixtures.root,
                              connector: fixtures.appendingPathComponent("connector.safetensors"))
    }

    @Test("prompt ids, last-position logits and greedy tokens match train_projector's pipeline")
    func parity() throws {
        guard RuntimeFixtures.weightsPresent() else { return }
        let runtime = try Self.load()
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("golden.json")))
        let tensors = try GoldenTensors("builtin/golden.safetensors")
        let session = try runtime.session(image: Self.fixtures.appendingPathComponent("image.png"))
        let layout = try session.layout(userText: golden.user_text, assistantPrefix: golden.answer_prefix)
        #expect(layout.ids == (try tensors.require("input_ids").int64Values.map(Int.init)))
        #expect(layout.imagePositions.count == 64 && layout.imageGrid.rows == 8 && layout.imageGrid.columns == 8)
        #expect(layout.ids[layout.imagePositions[0]] == golden.image_token_id)
        // The user text's tokens decode to the text; the role tokens to the assistant header.
        #expect(runtime.tokenizer.decode(Array(layout.ids[layout.userTextPositions])) == golden.user_text)
        #expect(runtime.tokenizer.decode(layout.rolePositions.map { layout.ids[$0] }) == "<|im_start|>assistant\n")
        #expect(layout.rolePositions.last! + 1 < layout.ids.count)

        let scored = try session.lastPositionLogits(userText: golden.user_text, assistantPrefix: golden.answer_prefix, plan: .init())
        if let problem = mismatch(scored.logits, try tensors.require("logits").values, relative: 1e-3, absolute: 1e-3, label: "logits") {
            Issue.record("\(problem)")
        }
        let turn = try session.generate(userText: golden.user_text, assistantPrefix: golden.answer_prefix, plan: .init(),
                                        maxNewTokens: 8, stopAfter: nil)
        #expect(turn.tokens == (try tensors.require("generated").int64Values.map(Int.init)))
        #expect(turn.promptLength == layout.ids.count)
        // stopAfter ends decoding once the text holds the marker (the fixture's text closes the
        // answer with `]` before its 8 tokens run out, as the pipeline's stop marker expects).
        #expect(turn.text.contains("]"), "fixture continuation \(turn.text) has no ']'")
        let stopped = try session.generate(userText: golden.user_text, assistantPrefix: golden.answer_prefix, plan: .init(),
                                           maxNewTokens: 8, stopAfter: "]")
        #expect(stopped.text.hasSuffix("]") && stopped.tokens.count < turn.tokens.count, "\(stopped.text)")
        #expect(runtime.identity.id == "headscope-builtin" && runtime.identity.sha256.count == 64)
        #expect(runtime.geometry == DecoderGeometry(layers: 30, heads: 9, headDim: 64))
    }

    @Test("a missing connector says how to train it")
    func missingConnector() throws {
        guard RuntimeFixtures.weightsPresent() else { return }
        let scratch = try TestSupport.scratchDirectory("builtin-missing")
        do {
            _ = try BuiltinModel.load(description: BuiltinModel.descriptionURL(repositoryRoot: RuntimeFixtures.root),
                                      repositoryRoot: RuntimeFixtures.root,
                                      connector: scratch.appendingPathComponent("connector.safetensors"))
            Issue.record("loaded without a connector")
        } catch let error as RuntimeError {
            #expect(error.description.contains("train_projector.py") && error.description.contains("connector.safetensors"), "\(error)")
        }
    }
}
