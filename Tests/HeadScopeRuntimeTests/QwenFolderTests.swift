import Foundation
import HeadScopeEngine
@testable import HeadScopeRuntime
import Testing
import TestSupport

/// A Qwen2.5-VL checkpoint folder (Tests/Fixtures/runtime/qwen2_5_vl) loaded through the stages'
/// seam (`RuntimeLoader`) against transformers' Qwen2_5_VLProcessor and
/// Qwen2_5_VLForConditionalGeneration (scripts/fixtures/runtime_qwen.py).
/// Tolerance: 1e-4 relative plus a 6e-5 absolute floor (see `absolute`); tokens equal.
@Suite("Qwen2.5-VL folders")
struct QwenFolderTests {
    struct Golden: Decodable { var user_text: String; var assistant_prefix: String; var edit_layer: Int; var edit_head: Int }

    static let fixture = RuntimeFixtures.root.appendingPathComponent("Tests/Fixtures/runtime/qwen2_5_vl")
    static let image = fixture.appendingPathComponent("image.png")
    // Float32 rounding of the engine and of PyTorch both depend on the CPU's GEMM kernels: up to
    // 2e-5 on one machine, 3e-5 on a CPU with AVX512-BF16 and no AMX (logits of magnitude ~0.1).
    static let relative: Float = 1e-4
    static let absolute: Float = 6e-5

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: fixture.appendingPathComponent("golden.json")))
    }

    /// The folder through `RuntimeLoader`, as `headscope-extract`, `-intervene` and `-attribute` load it.
    static func load(_ label: String) throws -> EngineRuntime {
        let root = try TestSupport.scratchDirectory(label)
        let runtime = try RuntimeLoader.load(model: fixture.path, root: root)
        return try #require(runtime as? EngineRuntime)
    }

    static func expectClose(_ actual: [Float], _ expected: [Float], _ label: String) {
        if let problem = mismatch(actual, expected, relative: relative, absolute: absolute, label: label) {
            Issue.record("\(problem)")
        }
    }

    @Test("pixel values, grid, expanded ids, M-RoPE ids, per-head z, logits and greedy tokens match transformers")
    func parity() throws {
        let runtime = try Self.load("qwen-folder")
        let golden = try Self.golden()
        let tensors = try GoldenTensors("runtime/qwen2_5_vl/golden.safetensors")
        #expect(runtime.geometry == DecoderGeometry(layers: 2, heads: 4, headDim: 16))

        // The processor: patches in transformers' pixel_values layout (both frames) and the grid.
        let input = try #require(runtime.imageInput as? QwenImageInput)
        let processed = try input.processed(of: Self.image)
        let grid = try tensors.require("image_grid_thw").int64Values.map(Int.init)
        #expect([processed.grid.temporal, processed.grid.rows, processed.grid.columns] == grid)
        #expect(grid == [1, 6, 8])
        if let problem = mismatch(processed.patches, try tensors.require("pixel_values").values, relative: 0, absolute: 1e-5, label: "pixel_values") {
            Issue.record("\(problem)")
        }

        // The prompt: chat template, then <|image_pad|> expanded to 6 * 8 / 2^2 = 12 tokens.
        let session = try runtime.session(image: Self.image)
        let layout = try session.layout(userText: golden.user_text, assistantPrefix: golden.assistant_prefix)
        let ids = try tensors.require("input_ids").int64Values.map(Int.init)
        #expect(layout.ids == ids)
        let first = try #require(layout.imagePositions.first)
        #expect(layout.imagePositions == Array(first..<(first + 12)))
        #expect(ids[first - 1] == runtime.tokenizer.tokenToID("<|vision_start|>") && ids[first + 12] == runtime.tokenizer.tokenToID("<|vision_end|>"))
        #expect(layout.imageGrid.rows == 3 && layout.imageGrid.columns == 4)
        #expect(runtime.decode(Array(layout.ids[layout.userTextPositions])) == golden.user_text)
        #expect(runtime.tokenizer.decode(layout.rolePositions.map { layout.ids[$0] }, skipSpecialTokens: false) == "<|im_start|>assistant\n")

        // M-RoPE ids of the whole prompt, as get_rope_index computes them.
        let pixels = try input.pixels(of: Self.image)
        let rope = try #require(try runtime.model.mropePositions(tokens: layout.ids, images: [pixels]))
        let expected = try tensors.require("position_ids").int64Values.map(Int.init)
        #expect(rope.temporal + rope.height + rope.width == expected)

        // Per-head z (o_proj input) at an image token, a text token, a role token and the last token.
        let positions = [first + 5, layout.userTextPositions.lowerBound + 2, layout.rolePositions[1], layout.lastPosition]
        var plan = InterpretabilityPlan()
        plan.zCaptures = [CaptureRequest(positions: .list(positions))]
        let scored = try session.lastPositionLogits(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: plan)
        Self.expectClose(scored.logits, try tensors.require("logits").values, "logits")
        let z = try #require(scored.captures.z.first)
        #expect(z.positions == positions && z.layers == [0, 1] && z.heads == [0, 1, 2, 3] && z.headDim == 16)
        for layer in 0..<2 {
            let reference = try tensors.require("z.L\(layer)")   // [T, H, hd]
            for p in positions { for h in 0..<4 {
                let start = (p * 4 + h) * 16
                Self.expectClose(Array(try #require(z.vector(position: p, layer: layer, head: h))),
                                 Array(reference.values[start..<(start + 16)]), "z L\(layer) H\(h) @\(p)")
            } }
        }

        let turn = try session.generate(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: .init(),
                                        maxNewTokens: 8, stopAfter: nil)
        #expect(turn.tokens == (try tensors.require("generated").int64Values.map(Int.init)))
        #expect(turn.promptLength == ids.count)
    }

    @Test("a zeroed head matches transformers with the head zeroed by an o_proj pre-hook")
    func zeroedHead() throws {
        let runtime = try Self.load("qwen-folder-edit")
        let golden = try Self.golden()
        let tensors = try GoldenTensors("runtime/qwen2_5_vl/golden.safetensors")
        let session = try runtime.session(image: Self.image)
        var plan = InterpretabilityPlan()
        plan.edits = [HeadEdit(layer: golden.edit_layer, head: golden.edit_head, positions: .all, operation: .zero)]
        let scored = try session.lastPositionLogits(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: plan)
        Self.expectClose(scored.logits, try tensors.require("edit.logits").values, "edited logits")
        // The edit matters: the plain logits are far from the edited ones.
        #expect(mismatch(scored.logits, try tensors.require("logits").values, relative: Self.relative, absolute: Self.absolute, label: "edit effect") != nil)
        let turn = try session.generate(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: plan,
                                        maxNewTokens: 8, stopAfter: nil)
        #expect(turn.tokens == (try tensors.require("edit.generated").int64Values.map(Int.init)))
        #expect(turn.tokens != (try tensors.require("generated").int64Values.map(Int.init)))
        // After an edited run the session serves the plain prompt again.
        let plain = try session.lastPositionLogits(userText: golden.user_text, assistantPrefix: golden.assistant_prefix, plan: .init())
        Self.expectClose(plain.logits, try tensors.require("logits").values, "plain after edit")
    }

    /// Same tolerance as the parity checks: the session sums the prefix and the rest in separate
    /// GEMMs, which changes float rounding (seen up to 2e-5 relative with these weights).
    @Test("session runs (prefix reuse, partial reuse under a plan) equal runs from scratch")
    func sessionsMatchDirectRuns() throws {
        let runtime = try Self.load("qwen-folder-session")
        let session = try runtime.session(image: Self.image)
        let pixels = try runtime.imageInput.pixels(of: Self.image)
        for question in ["Is the cube red?", "How many spheres are there?"] {
            let layout = try session.layout(userText: question, assistantPrefix: "")
            // An edit inside the image tokens: the session recomputes the prefix from there.
            var plan = InterpretabilityPlan()
            plan.edits = [HeadEdit(layer: 0, head: 1, positions: .list([layout.imagePositions[3]]), operation: .scale(-3))]
            plan.zCaptures = [CaptureRequest(layers: [1], positions: .list([layout.lastPosition]))]
            for p in [InterpretabilityPlan(), plan] {
                let viaSession = try session.lastPositionLogits(userText: question, assistantPrefix: "", plan: p)
                let direct = try runtime.model.forward(tokens: layout.ids, images: [pixels], plan: p, logits: .last)
                if let problem = mismatch(viaSession.logits, direct.logits, relative: Self.relative, absolute: Self.absolute, label: "session vs direct: \(question), \(p.edits.count) edits") {
                    Issue.record("\(problem)")
                }
                if let a = viaSession.captures.z.first, let b = direct.captures.z.first {
                    #expect(a.positions == [layout.lastPosition])
                    Self.expectClose(a.values, b.values, "session vs direct z: \(question)")
                } else {
                    #expect(p.zCaptures.isEmpty)
                }
            }
        }
    }

    @Test("a processor or tokenizer that does not fit the checkpoint is named")
    func errors() throws {
        let folder = try TestSupport.scratchDirectory("qwen-folder-errors").appendingPathComponent("qwen")
        try FileManager.default.copyItem(at: Self.fixture, to: folder)
        let preprocessor = folder.appendingPathComponent("preprocessor_config.json")
        let text = try String(contentsOf: preprocessor, encoding: .utf8).replacingOccurrences(of: "\"merge_size\": 2", with: "\"merge_size\": 1")
        try text.write(to: preprocessor, atomically: true, encoding: .utf8)
        do { _ = try EngineRuntime.load(folder: folder); Issue.record("loaded a processor with the wrong merge size") }
        catch let error as RuntimeError { #expect(error.description.contains("preprocessor_config.json") && error.description.contains("merge_size 1")) }
        try FileManager.default.removeItem(at: preprocessor)
        do { _ = try EngineRuntime.load(folder: folder); Issue.record("loaded without a processor") }
        catch let error as RuntimeError { #expect(error.description.contains("preprocessor_config.json")) }
        // A config whose image token is not the tokenizer's <|image_pad|>.
        try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent("preprocessor_config.json"), to: preprocessor)
        let config = folder.appendingPathComponent("config.json")
        let json = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"image_token_id\": 5", with: "\"image_token_id\": 6")
        try json.write(to: config, atomically: true, encoding: .utf8)
        do { _ = try EngineRuntime.load(folder: folder); Issue.record("loaded a mismatched image token") }
        catch let error as RuntimeError { #expect(error.description.contains("<|image_pad|>") && error.description.contains("image_token_id is 6")) }
    }
}

/// The real `headscope-run` on the Qwen2.5-VL fixture folder: the same seam the stage executables use.
@Suite("headscope-run on a Qwen2.5-VL folder")
struct QwenRunExecutableTests {
    @Test("generates the reference tokens and writes the prompt layout with the merged grid")
    func run() throws {
        let scratch = try TestSupport.scratchDirectory("qwen-run")
        let golden = try QwenFolderTests.golden()
        let out = scratch.appendingPathComponent("captures.h5")
        let plan = scratch.appendingPathComponent("plan.json")
        try Data(#"{"z_captures": [{"tower": "language", "layers": [1], "positions": {"kind": "generated"}}]}"#.utf8).write(to: plan)
        let result = try TestSupport.run(RunExecutableTests.executable, [
            "--model", QwenFolderTests.fixture.path, "--image", QwenFolderTests.image.path, "--prompt", golden.user_text,
            "--answer-prefix", golden.assistant_prefix, "--max-new-tokens", "8", "--plan", plan.path, "--captures", out.path,
        ], currentDirectory: scratch)
        #expect(result.status == 0, "\(result.stderr)")
        let check = try TestSupport.python(#"""
        import sys, json, h5py
        f = h5py.File(sys.argv[1], "r")
        print(json.dumps({"ids": f["ids"][:].tolist(), "grid": f["layout/image_grid"][:].tolist(),
                          "image_positions": f["layout/image_positions"][:].tolist(),
                          "z_shape": list(f["z/0/values"].shape)}))
        """#, [out.path])
        let json = try JSONSerialization.jsonObject(with: Data(check.utf8)) as? [String: Any] ?? [:]
        let tensors = try GoldenTensors("runtime/qwen2_5_vl/golden.safetensors")
        let prompt = try tensors.require("input_ids").int64Values.map(Int.init)
        let generated = try tensors.require("generated").int64Values.map(Int.init)
        #expect(json["ids"] as? [Int] == prompt + generated)
        #expect(json["grid"] as? [Int] == [3, 4])
        #expect((json["image_positions"] as? [Int])?.count == 12)
        // z of layer 1 at the generated positions that were fed back (all but the last), 4 heads of 16.
        #expect(json["z_shape"] as? [Int] == [generated.count - 1, 1, 4, 16])
    }
}
