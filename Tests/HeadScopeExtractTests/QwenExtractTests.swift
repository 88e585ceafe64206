import Foundation
import HeadScopeActivations
import Testing
import TestSupport

/// `headscope-extract` on a Qwen2.5-VL checkpoint folder (Tests/Fixtures/runtime/qwen2_5_vl, tiny
/// random weights): the stage takes it through the same `--model` seam as a LLaVA folder.
@Suite("headscope-extract on a Qwen2.5-VL folder", .serialized)
struct QwenExtractTests {
    @Test func extractsPerHeadActivationsOfTheQwenDecoder() throws {
        let root = try TestSupport.scratchDirectory("extract-qwen")
        let exec = ExtractExecutableTests.executable
        let prepare = try TestSupport.run(exec("headscope-prepare"), [
            "--generate", "cogshapes", "--seed", "3", "--count", "2", "--output", root.appendingPathComponent("prepared").path,
        ], environment: ["HEADSCOPE_PROGRESS": "off"])
        #expect(prepare.status == 0, "\(prepare.stderr)")
        let model = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/runtime/qwen2_5_vl")
        let output = root.appendingPathComponent("activations")
        let extract = try TestSupport.run(exec("headscope-extract"), [
            "--prepared", root.appendingPathComponent("prepared").path, "--output", output.path,
            "--model", model.path, "--items-per-shard", "2", "--max-new-tokens", "4",
        ], environment: ["HEADSCOPE_PROGRESS": "off"])
        #expect(extract.status == 0, "\(extract.stdout)\(extract.stderr)")

        let reader = try ActivationReader(store: output)
        defer { try? reader.close() }
        #expect(reader.attributes.layers == 2 && reader.attributes.heads == 4 && reader.attributes.headDim == 16)
        #expect(reader.rows > 0)   // one row per subquestion of the two items
        let layer = try reader.layer(1)
        #expect(layer.contains { $0 != 0 } && layer.allSatisfy { $0.isFinite })
        let manifest = try String(contentsOf: output.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains("qwen2_5_vl"))
    }
}
