import Foundation
import Testing
import TestSupport

/// The real `headscope-run` on the LLaVA fixture folder; captures are read back with h5py.
@Suite("headscope-run")
struct RunExecutableTests {
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("headscope-run")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return TestSupport.repositoryRoot.appendingPathComponent(".build/debug/headscope-run")
    }()

    static let image = LlavaFolderTests.fixture.appendingPathComponent("image.png")

    @Test("generates, applies the plan and writes its captures as docs/run-captures.md describes")
    func captures() throws {
        let folder = try LlavaFolderTests.folder("run-captures")
        let scratch = folder.deletingLastPathComponent()
        let plan = scratch.appendingPathComponent("plan.json")
        try Data(#"""
        {"z_captures": [{"tower": "language", "layers": [1], "positions": {"kind": "list", "positions": [24, 25]}}],
         "attention_captures": [{"tower": "language", "heads": [0, 2], "positions": {"kind": "generated"}}]}
        """#.utf8).write(to: plan)
        let out = scratch.appendingPathComponent("captures.h5")
        let result = try TestSupport.run(Self.executable, [
            "--model", folder.path, "--image", Self.image.path, "--prompt", "What is left of the red cube?",
            "--answer-prefix", #" [{"answer": ""#, "--max-new-tokens", "6", "--plan", plan.path, "--captures", out.path,
        ], currentDirectory: scratch)
        #expect(result.status == 0, "\(result.stderr)")
        let check = try TestSupport.python(#"""
        import sys, json, h5py
        f = h5py.File(sys.argv[1], "r")
        out = {k: (v.decode() if isinstance(v, bytes) else (v.item() if hasattr(v, "item") else v)) for k, v in f.attrs.items() if k != "plan"}
        z = f["z/0"]
        out["z_shape"] = list(z["values"].shape)
        out["z_positions"] = z["positions"][:].tolist()
        out["z_layers"] = z["layers"][:].tolist()
        out["z_head_dim"] = int(z.attrs["head_dim"])
        a = f["attention/0"]
        out["att_shape"] = list(a["values"].shape)
        out["att_queries"] = a["query_positions"][:].tolist()
        out["att_row_sums"] = a["values"][:].sum(axis=-1).round(4).flatten().tolist()
        out["ids"] = f["ids"][:].tolist()
        out["image_positions"] = f["layout/image_positions"][:].tolist()
        out["grid"] = f["layout/image_grid"][:].tolist()
        out["groups"] = sorted(f.keys())
        print(json.dumps(out))
        """#, [out.path])
        let json = try JSONSerialization.jsonObject(with: Data(check.utf8)) as? [String: Any] ?? [:]
        let golden = try GoldenTensors("runtime/llava/golden.safetensors")
        let prompt = try golden.require("input_ids").int64Values.map(Int.init)
        let generated = try golden.require("generated").int64Values.map(Int.init)
        #expect(json["ids"] as? [Int] == prompt + generated)
        #expect(json["prompt_length"] as? Int == prompt.count)
        #expect(json["z_shape"] as? [Int] == [2, 1, 4, 8])
        #expect(json["z_positions"] as? [Int] == [24, 25] && json["z_layers"] as? [Int] == [1] && json["z_head_dim"] as? Int == 8)
        // Generated positions that were fed back: prompt.count ..< prompt.count + 5 (the last token never is).
        #expect(json["att_queries"] as? [Int] == Array(prompt.count..<(prompt.count + generated.count - 1)))
        #expect(json["att_shape"] as? [Int] == [generated.count - 1, 2, 2, prompt.count + generated.count - 1])
        #expect((json["att_row_sums"] as? [Double])?.allSatisfy { abs($0 - 1) < 1e-3 } == true)
        #expect(json["image_positions"] as? [Int] == Array(8..<24) && json["grid"] as? [Int] == [4, 4])
        #expect(json["groups"] as? [String] == ["attention", "ids", "keys", "layout", "values", "z"])
        #expect(json["model_id"] as? String == "llava_clip_llama" && (json["model_sha256"] as? String)?.count == 64)
        #expect(!result.stdout.isEmpty && json["generated_text"] as? String == result.stdout.trimmingCharacters(in: .newlines))
    }

    @Test("missing model or image and a bad plan are reported with the path and the key")
    func errors() throws {
        let folder = try LlavaFolderTests.folder("run-errors")
        let scratch = folder.deletingLastPathComponent()
        let missingModel = try TestSupport.run(Self.executable, ["--model", "/nonexistent/llava", "--image", Self.image.path, "--prompt", "x"])
        #expect(missingModel.status != 0 && missingModel.stderr.contains("/nonexistent/llava"), "\(missingModel.stderr)")
        let missingImage = try TestSupport.run(Self.executable, ["--model", folder.path, "--image", "/nonexistent/a.png", "--prompt", "x"])
        #expect(missingImage.status != 0 && missingImage.stderr.contains("/nonexistent/a.png"), "\(missingImage.stderr)")
        let plan = scratch.appendingPathComponent("bad-plan.json")
        try Data(#"{"edits": [{"tower": "language", "layer": 1, "positions": {"kind": "all"}, "operation": {"scale": 0.5}}]}"#.utf8).write(to: plan)
        let badPlan = try TestSupport.run(Self.executable, ["--model", folder.path, "--image", Self.image.path, "--prompt", "x",
                                                            "--plan", plan.path])
        #expect(badPlan.status != 0 && badPlan.stderr.contains("bad-plan.json") && badPlan.stderr.contains("edits[0].head"), "\(badPlan.stderr)")
    }
}
